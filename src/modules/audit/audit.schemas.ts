import { Type } from 'typebox';
import { PageQuery } from '../../platform/pagination.js';

export const AUDIT_EXAMPLE = {
  id: '0193a5b2-7c1d-7e2f-8a3b-4c5d6e7f8091',
  actorId: '0193a5b2-1111-7e2f-8a3b-4c5d6e7f8091',
  action: 'user.suspend',
  objectType: 'user',
  objectId: '0193a5b2-2222-7e2f-8a3b-4c5d6e7f8091',
  before: { suspended: false },
  after: { suspended: true },
  reason: 'Chargeback fraud reported by the payment provider',
  requestId: '5f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
  ip: '203.0.113.7',
  createdAt: '2026-11-26T10:00:00.000Z',
};

const Snapshot = Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]);
const Nullable = (max = 1000) => Type.Union([Type.String({ maxLength: max }), Type.Null()]);

export const AuditEntrySchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    actorId: Type.String({ format: 'uuid', description: 'The admin who acted' }),
    action: Type.String({ description: '`object.verb` (`user.suspend`, `booking.cancel`…) or `view`' }),
    objectType: Type.String(),
    objectId: Nullable(64),
    before: Snapshot,
    after: Snapshot,
    reason: Nullable(),
    requestId: Nullable(128),
    ip: Nullable(64),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'AuditEntry', examples: [AUDIT_EXAMPLE] },
);

const Slug = (description: string) =>
  Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z_.]+$', description }));

export const AuditQuerySchema = Type.Object(
  {
    actorId: Type.Optional(Type.String({ format: 'uuid', description: 'Only this admin’s actions' })),
    action: Slug('Only this action (`user.suspend`, `view`…)'),
    objectType: Slug('Only this kind of object (`user`, `booking`, `listing`, `review`, `job`…)'),
    objectId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        pattern: '^[A-Za-z0-9._:-]+$',
        description: 'Only this object',
      }),
    ),
    requestId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._-]+$' })),
    changesOnly: Type.Optional(Type.Boolean({ default: false, description: 'Leave out `view` rows' })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'At or after this instant' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Before this instant' })),
    ...PageQuery,
  },
  { additionalProperties: false },
);
