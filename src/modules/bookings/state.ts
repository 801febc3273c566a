/** The booking state machine: every status change goes through `assertTransition`. */
import { conflict } from '../../platform/errors.js';

export const BOOKING_STATUSES = [
  'pending_payment',
  'awaiting_host',
  'confirmed',
  'declined',
  'cancelled_by_guest',
  'cancelled_by_host',
  'expired',
  'completed',
] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

/** Statuses that hold the nights: no two of these may overlap for one property. */
export const ACTIVE_STATUSES: readonly BookingStatus[] = [
  'pending_payment',
  'awaiting_host',
  'confirmed',
  'completed',
];

const TRANSITIONS: Record<BookingStatus, readonly BookingStatus[]> = {
  pending_payment: ['confirmed', 'awaiting_host', 'expired', 'cancelled_by_guest'],
  awaiting_host: ['confirmed', 'declined', 'cancelled_by_guest', 'expired'],
  confirmed: ['cancelled_by_guest', 'cancelled_by_host', 'completed'],
  declined: [],
  cancelled_by_guest: [],
  cancelled_by_host: [],
  expired: [],
  completed: [],
};

export function canTransition(from: BookingStatus, to: BookingStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: BookingStatus, to: BookingStatus): void {
  if (!canTransition(from, to)) {
    throw conflict(
      'illegal_transition',
      `A booking that is ${from.replaceAll('_', ' ')} cannot become ${to.replaceAll('_', ' ')}`,
    );
  }
}
