import type { SessionUser } from './auth.repository.js';
import type { UserView } from './users.schemas.js';

/** A user as the API shows them (never the password hash). */
export function toUserView(u: SessionUser): UserView {
  return {
    id: u.id,
    email: u.email,
    firstName: u.first_name,
    lastName: u.last_name,
    phone: u.phone,
    role: u.role,
    emailVerified: u.email_verified_at !== null,
    suspended: u.suspended_at !== null,
    createdAt: new Date(u.created_at).toISOString(),
  };
}
