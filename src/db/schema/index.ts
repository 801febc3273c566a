/** The Kysely database type: one interface per table, grouped by domain. */
import type { AuditLogTable } from './audit.js';
import type { BookingChangesTable } from './booking-changes.js';
import type {
  BookingEventsTable,
  BookingsTable,
  IdempotencyKeysTable,
  PaymentsTable,
  RefundsTable,
  WebhookEventsTable,
} from './bookings.js';
import type { LedgerEntriesTable, LedgerTransactionsTable } from './ledger.js';
import type {
  ConversationAccessLogTable,
  ConversationsTable,
  MessagesTable,
  NotificationPreferencesTable,
  NotificationsTable,
  PreApprovalsTable,
} from './messaging.js';
import type { PayoutAccountsTable, PayoutsTable } from './payouts.js';
import type {
  AmenitiesTable,
  PropertiesTable,
  PropertyAmenitiesTable,
  PropertyCalendarTable,
  PropertyPhotosTable,
  TaxRatesTable,
} from './properties.js';
import type { GuestRatingsTable, ReviewsTable } from './reviews.js';
import type { EmailOutboxTable, RefreshTokensTable, UsersTable, UserTokensTable } from './users.js';

export type { PropertyStatus, PropertyType } from './properties.js';
export type { Role, UserTokenPurpose } from './users.js';

export interface DB {
  users: UsersTable;
  refresh_tokens: RefreshTokensTable;
  user_tokens: UserTokensTable;
  email_outbox: EmailOutboxTable;
  properties: PropertiesTable;
  amenities: AmenitiesTable;
  property_amenities: PropertyAmenitiesTable;
  property_calendar: PropertyCalendarTable;
  property_photos: PropertyPhotosTable;
  tax_rates: TaxRatesTable;
  bookings: BookingsTable;
  booking_events: BookingEventsTable;
  booking_changes: BookingChangesTable;
  idempotency_keys: IdempotencyKeysTable;
  payments: PaymentsTable;
  refunds: RefundsTable;
  webhook_events: WebhookEventsTable;
  ledger_transactions: LedgerTransactionsTable;
  ledger_entries: LedgerEntriesTable;
  reviews: ReviewsTable;
  audit_log: AuditLogTable;
  guest_ratings: GuestRatingsTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  conversation_access_log: ConversationAccessLogTable;
  pre_approvals: PreApprovalsTable;
  notifications: NotificationsTable;
  notification_preferences: NotificationPreferencesTable;
  payout_accounts: PayoutAccountsTable;
  payouts: PayoutsTable;
}
