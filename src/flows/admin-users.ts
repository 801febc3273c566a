/**
 * The admin's view of one user: the account, its open sessions, its recent stays as a guest and its
 * listings as a host — composed from the accounts, bookings and properties services.
 */
import * as auth from '../modules/accounts/auth.service.js';
import * as users from '../modules/accounts/users.service.js';
import * as bookings from '../modules/bookings/bookings.service.js';
import * as properties from '../modules/properties/properties.service.js';
import { type Actor, assertRole } from '../platform/auth.js';
import type { ServiceContext } from '../platform/context.js';

/** How many bookings and listings the detail shows (the most recent ones). */
export const USER_DETAIL_ITEMS = 20;

export type AdminUserDetail = Awaited<ReturnType<typeof userDetail>>;

/** One user for an admin: 404 for an unknown id, 403 for anyone but an admin. */
export async function userDetail(ctx: ServiceContext, actor: Actor, userId: string) {
  assertRole(actor, 'admin');
  const user = await users.adminUserRow(ctx, actor, userId);
  const [sessions, stays, listings] = await Promise.all([
    auth.listUserSessions(ctx, actor, userId),
    bookings.listBookingsOfGuest(ctx, userId, USER_DETAIL_ITEMS),
    properties.adminSearchListings(ctx, actor, { hostId: userId, limit: USER_DETAIL_ITEMS }),
  ]);
  return { user, sessions, bookings: stays, listings: listings.items };
}
