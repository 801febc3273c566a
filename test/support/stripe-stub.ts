/**
 * A local HTTP stub of the few Stripe endpoints the adapter calls, on 127.0.0.1 (port 0), with fault
 * controls for the refund endpoint.
 *
 * Endpoints:
 *  - POST /v1/payment_intents: `pm_card_visa` succeeds, `pm_card_async` stays processing,
 *    `pm_card_chargeDeclined` is a 402 card error. Honours Idempotency-Key (same key → same intent).
 *  - GET /v1/payment_intents/:id
 *  - POST /v1/refunds: honours Idempotency-Key like Stripe: the first request with a key executes, later
 *    ones get the same refund object back (executed once); the same key with other parameters is a 400
 *    idempotency_error; the same key while the first request is still executing is a 409
 *    idempotency_key_in_use. A refund beyond what is left of the intent is a 400
 *    (charge_already_refunded), as Stripe refuses it.
 *  - GET /v1/refunds/:id
 *  - Connect (payouts): POST /v1/accounts (Express; honours Idempotency-Key; created not yet onboarded:
 *    details_submitted, charges_enabled and payouts_enabled false), GET /v1/accounts/:id, POST
 *    /v1/account_links (a single-use onboarding URL), POST /v1/transfers (honours Idempotency-Key: one
 *    transfer per key; to an account without an active `transfers` capability a 400
 *    `insufficient_capabilities_for_transfer`; to an unknown one a 404). `onboard(id)` finishes an
 *    account's onboarding, `restrict(id)` disables it; `failTransfers(n)` answers the next n transfer
 *    requests with a 500 (nothing executed; the SDK retries 500s itself). GET /v1/transfers/:id (404 for an
 *    unknown one); `reverseTransfer(id)` reverses one in full.
 *
 * Faults (`fault(kind, { times, paymentIntent })`) apply to the next `times` refund requests (optionally
 * only those for one payment intent, so a late SDK retry of an earlier test cannot consume them):
 *  - `fail`: HTTP 500 api_error, nothing executed. The SDK retries 500s itself (maxNetworkRetries = 2,
 *    same key), so `times: 3` makes one adapter call fail.
 *  - `hang`: the request is received and never answered; nothing executed.
 *  - `executeThenHang`: the refund is executed and recorded, the answer is never sent (a lost response).
 *  - `decline`: the refund is created with status `failed` (`failure_reason`), no money moved.
 *  - `pending`: the refund is created with status `pending`; `settle(id, …)` decides it later.
 *  - `slow`: executed, answered after `delayMs` (meanwhile the key is "in use").
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Kysely } from 'kysely';
import type { DB } from '../../src/db/schema/index.js';
import { ledgerBalance } from '../../src/modules/payments/ledger.js';

export type RefundFault = 'fail' | 'hang' | 'executeThenHang' | 'decline' | 'pending' | 'slow';

export interface StubCall {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  form: URLSearchParams;
  /** Date.now() when received. */
  at: number;
  /** HTTP status answered (undefined while unanswered, or never answered). */
  status?: number;
  /** The fault applied to this call, if any. */
  fault?: RefundFault;
}

export interface StubRefund {
  id: string;
  object: 'refund';
  status: 'pending' | 'succeeded' | 'failed';
  amount: number;
  currency: string;
  payment_intent: string;
  metadata: Record<string, string>;
  failure_reason: string | null;
  created: number;
  /** Not a Stripe field: the Idempotency-Key it was created with. */
  idempotencyKey: string | undefined;
}

interface Intent {
  id: string;
  object: 'payment_intent';
  status: string;
  amount: number;
  currency: string | null;
  metadata: Record<string, string>;
}

interface FaultRule {
  kind: RefundFault;
  remaining: number;
  paymentIntent?: string | undefined;
  delayMs: number;
  failureReason: string;
}

export interface StubAccount {
  id: string;
  object: 'account';
  type: string;
  email: string | null;
  country: string | null;
  default_currency: string | null;
  details_submitted: boolean;
  charges_enabled: boolean;
  payouts_enabled: boolean;
  capabilities: { transfers?: 'active' | 'inactive' | 'pending' };
  requirements: { disabled_reason: string | null; past_due: string[]; currently_due: string[] };
  metadata: Record<string, string>;
}

export interface StubTransfer {
  id: string;
  object: 'transfer';
  amount: number;
  currency: string;
  destination: string;
  metadata: Record<string, string>;
  reversed: boolean;
  amount_reversed: number;
  transfer_group: string | null;
  created: number;
  /** Not a Stripe field: the Idempotency-Key it was created with. */
  idempotencyKey: string | undefined;
}

export interface StripeStub {
  /** http://127.0.0.1:<port> — STRIPE_API_BASE. */
  url: string;
  /** Every request received, in order. */
  calls: StubCall[];
  /** Refund requests received (POST /v1/refunds), in order. */
  refundCalls(): StubCall[];
  /** Distinct refunds that moved (or are moving) money: status succeeded or pending. */
  executedRefunds(): StubRefund[];
  /** Every refund object created, declined ones included. */
  allRefunds(): StubRefund[];
  refund(id: string): StubRefund | undefined;
  intent(id: string): Intent | undefined;
  fault(
    kind: RefundFault,
    opts?: { times?: number; paymentIntent?: string; delayMs?: number; failureReason?: string },
  ): void;
  /** Drop every fault rule not yet used up. */
  clearFaults(): void;
  /** Decide a pending refund (what Stripe does later, and then sends a refund.updated event about). */
  settle(refundId: string, status: 'succeeded' | 'failed', failureReason?: string): StubRefund;
  /**
   * Resolves with the first call under `pathPrefix` (optionally of `method`) among `calls[since…]`
   * (`since` defaults to 0: a call already received counts), waiting for it if need be.
   */
  waitForCall(
    pathPrefix: string,
    opts?: { method?: string; timeoutMs?: number; since?: number },
  ): Promise<StubCall>;
  /** How many requests are held unanswered right now. */
  hungCount(): number;
  /** Cut every held request (its client sees the connection reset). */
  releaseHung(): void;
  /** Stops the server; never waits for held-open or keep-alive sockets. */
  close(): Promise<void>;
  /** Connect accounts created, by id. */
  account(id: string): StubAccount | undefined;
  /** The host finished onboarding: transfers active, charges and payouts enabled. */
  onboard(id: string): StubAccount;
  /** Stripe disabled the account (requirements past due). */
  restrict(id: string): StubAccount;
  /** Transfers executed (once per Idempotency-Key). */
  transfers(): StubTransfer[];
  /** Transfer requests received (POST /v1/transfers), in order. */
  transferCalls(): StubCall[];
  /** The next `times` transfer requests are answered 500 (nothing executed). */
  failTransfers(times: number): void;
  /** The transfer was reversed in full (what Stripe then reports, and sends `transfer.reversed` about). */
  reverseTransfer(id: string): StubTransfer;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      data += c;
    });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

/** `metadata[refundId]=…` form fields as an object. */
function metadataOf(form: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of form) {
    const m = /^metadata\[(.+)\]$/.exec(k);
    if (m) out[m[1]!] = v;
  }
  return out;
}

const publicRefund = ({ idempotencyKey: _key, ...refund }: StubRefund) => refund;

export async function startStripeStub(): Promise<StripeStub> {
  const calls: StubCall[] = [];
  const intents = new Map<string, Intent>();
  const intentKeys = new Map<string, string>();
  const refunds = new Map<string, StubRefund>();
  /** Idempotency-Key → the refund it created and the parameters it was created with. */
  const refundKeys = new Map<string, { refundId: string; params: string }>();
  /** Keys whose first request is still executing (a `slow` refund). */
  const keysInUse = new Set<string>();
  const faults: FaultRule[] = [];
  const hung = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  const callWaiters = new Set<() => void>();
  let seq = 0;
  const accounts = new Map<string, StubAccount>();
  const accountKeys = new Map<string, string>();
  const transfers = new Map<string, StubTransfer>();
  const transferKeys = new Map<string, string>();
  let failingTransfers = 0;
  const missing = (what: string, id: string) => ({
    error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${what}: '${id}'` },
  });

  function handleConnect(call: StubCall, send: (status: number, body: unknown) => void): boolean {
    const { form, method, path, idempotencyKey: key } = call;
    const done = (status: number, body: unknown) => {
      send(status, body);
      return true;
    };
    if (method === 'POST' && path === '/v1/accounts') {
      const replay = key ? accounts.get(accountKeys.get(key) ?? '') : undefined;
      if (replay) return done(200, replay);
      const account: StubAccount = {
        id: `acct_stub_${++seq}`,
        object: 'account',
        type: form.get('type') ?? 'express',
        email: form.get('email'),
        country: form.get('country') ?? 'US',
        default_currency: form.get('default_currency'),
        details_submitted: false,
        charges_enabled: false,
        payouts_enabled: false,
        capabilities:
          form.get('capabilities[transfers][requested]') === 'true' ? { transfers: 'inactive' } : {},
        requirements: {
          disabled_reason: null,
          past_due: [],
          currently_due: ['external_account', 'tos_acceptance.date'],
        },
        metadata: metadataOf(form),
      };
      accounts.set(account.id, account);
      if (key) accountKeys.set(key, account.id);
      return done(200, account);
    }
    const acct = /^\/v1\/accounts\/([\w]+)$/.exec(path);
    if (method === 'GET' && acct) {
      const account = accounts.get(acct[1]!);
      return done(account ? 200 : 404, account ?? missing('account', acct[1]!));
    }
    if (method === 'POST' && path === '/v1/account_links') {
      const id = form.get('account') ?? '';
      if (!accounts.has(id)) return done(404, missing('account', id));
      return done(200, {
        object: 'account_link',
        created: Math.floor(Date.now() / 1000),
        expires_at: Math.floor(Date.now() / 1000) + 300,
        url: `https://connect.stripe.com/setup/e/${id}/link_${++seq}`,
        refresh_url: form.get('refresh_url'),
        return_url: form.get('return_url'),
      });
    }
    if (method === 'POST' && path === '/v1/transfers') {
      if (failingTransfers > 0) {
        failingTransfers--;
        return done(500, { error: { type: 'api_error', message: 'Injected failure (stub)' } });
      }
      const replay = key ? transfers.get(transferKeys.get(key) ?? '') : undefined;
      if (replay) {
        const { idempotencyKey: _k, ...pub } = replay;
        return done(200, pub);
      }
      const destination = form.get('destination') ?? '';
      const account = accounts.get(destination);
      if (!account) return done(404, missing('destination', destination));
      if (account.capabilities.transfers !== 'active') {
        return done(400, {
          error: {
            type: 'invalid_request_error',
            code: 'insufficient_capabilities_for_transfer',
            message: 'Your destination account needs to have the transfers capability enabled',
          },
        });
      }
      const transfer: StubTransfer = {
        id: `tr_stub_${++seq}`,
        object: 'transfer',
        amount: Number(form.get('amount')),
        currency: form.get('currency') ?? 'eur',
        destination,
        metadata: metadataOf(form),
        reversed: false,
        amount_reversed: 0,
        transfer_group: form.get('transfer_group'),
        created: Math.floor(Date.now() / 1000),
        idempotencyKey: key,
      };
      transfers.set(transfer.id, transfer);
      if (key) transferKeys.set(key, transfer.id);
      const { idempotencyKey: _k, ...pub } = transfer;
      return done(200, pub);
    }
    const tr = /^\/v1\/transfers\/([\w]+)$/.exec(path);
    if (method === 'GET' && tr) {
      const transfer = transfers.get(tr[1]!);
      if (!transfer) return done(404, missing('transfer', tr[1]!));
      const { idempotencyKey: _k, ...pub } = transfer;
      return done(200, pub);
    }
    return false;
  }

  const takeFault = (paymentIntent: string | null): FaultRule | undefined => {
    const rule = faults.find(
      (f) => f.remaining > 0 && (f.paymentIntent === undefined || f.paymentIntent === paymentIntent),
    );
    if (!rule) return undefined;
    rule.remaining--;
    if (rule.remaining === 0) faults.splice(faults.indexOf(rule), 1);
    return rule;
  };

  const refundable = (intent: Intent) =>
    intent.amount -
    [...refunds.values()]
      .filter((r) => r.payment_intent === intent.id && r.status !== 'failed')
      .reduce((s, r) => s + r.amount, 0);

  async function handleRefund(
    call: StubCall,
    send: (status: number, body: unknown) => void,
    hold: () => void,
  ) {
    const { form, idempotencyKey: key } = call;
    const piId = form.get('payment_intent');
    const amount = Number(form.get('amount'));
    const params = JSON.stringify([piId, amount]);
    const rule = takeFault(piId);
    if (rule) call.fault = rule.kind;

    if (rule?.kind === 'fail') {
      return send(500, { error: { type: 'api_error', message: 'Injected failure (stub)' } });
    }
    if (rule?.kind === 'hang') return hold();

    const existing = key ? refundKeys.get(key) : undefined;
    if (existing) {
      if (existing.params !== params) {
        return send(400, {
          error: {
            type: 'idempotency_error',
            message: `Keys for idempotent requests can only be used with the same parameters (${key})`,
          },
        });
      }
      // A replay: the same refund object, nothing executed again.
      if (rule?.kind === 'executeThenHang') return hold();
      return send(200, publicRefund(refunds.get(existing.refundId)!));
    }
    if (key && keysInUse.has(key)) {
      return send(409, {
        error: {
          type: 'idempotency_error',
          code: 'idempotency_key_in_use',
          message: 'There is currently another in-progress request using this Idempotent Key',
        },
      });
    }
    const intent = piId ? intents.get(piId) : undefined;
    if (!intent) {
      return send(404, {
        error: {
          type: 'invalid_request_error',
          code: 'resource_missing',
          message: `No such payment_intent: '${piId}'`,
        },
      });
    }
    if (!Number.isSafeInteger(amount) || amount <= 0 || amount > refundable(intent)) {
      return send(400, {
        error: {
          type: 'invalid_request_error',
          code: 'charge_already_refunded',
          message: `Refund amount (${amount}) is greater than unrefunded amount on charge (${refundable(intent)})`,
        },
      });
    }
    if (rule?.kind === 'slow' && key) keysInUse.add(key);
    if (rule?.kind === 'slow') await new Promise((r) => setTimeout(r, rule.delayMs));
    const refund: StubRefund = {
      id: `re_stub_${++seq}`,
      object: 'refund',
      status: rule?.kind === 'pending' ? 'pending' : rule?.kind === 'decline' ? 'failed' : 'succeeded',
      amount,
      currency: intent.currency ?? 'eur',
      payment_intent: intent.id,
      metadata: metadataOf(form),
      failure_reason: rule?.kind === 'decline' ? rule.failureReason : null,
      created: Math.floor(Date.now() / 1000),
      idempotencyKey: key,
    };
    refunds.set(refund.id, refund);
    if (key) {
      refundKeys.set(key, { refundId: refund.id, params });
      keysInUse.delete(key);
    }
    if (rule?.kind === 'executeThenHang') return hold();
    return send(200, publicRefund(refund));
  }

  const server = createServer(async (req, res) => {
    const form = new URLSearchParams(await readBody(req));
    const path = (req.url ?? '').split('?')[0]!;
    const call: StubCall = {
      method: req.method!,
      path,
      idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      form,
      at: Date.now(),
    };
    calls.push(call);
    for (const w of callWaiters) w();
    const send = (status: number, body: unknown) => {
      call.status = status;
      if (res.destroyed || res.writableEnded) return;
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_stub_${calls.length}` });
      res.end(JSON.stringify(body));
    };
    const hold = () => {
      hung.add(res);
      res.once('close', () => hung.delete(res));
    };

    if (req.method === 'POST' && path === '/v1/payment_intents') {
      const key = call.idempotencyKey;
      const replay = key ? intents.get(intentKeys.get(key) ?? '') : undefined;
      if (replay) return send(200, replay);
      const id = `pi_stub_${++seq}`;
      const pm = form.get('payment_method');
      if (pm === 'pm_card_chargeDeclined') {
        return send(402, {
          error: {
            type: 'card_error',
            code: 'card_declined',
            message: 'Your card was declined.',
            payment_intent: { id, object: 'payment_intent', status: 'requires_payment_method' },
          },
        });
      }
      const intent: Intent = {
        id,
        object: 'payment_intent',
        status: pm === 'pm_card_async' ? 'processing' : 'succeeded',
        amount: Number(form.get('amount')),
        currency: form.get('currency'),
        metadata: metadataOf(form),
      };
      intents.set(id, intent);
      if (key) intentKeys.set(key, id);
      return send(200, intent);
    }
    const pi = /^\/v1\/payment_intents\/([\w]+)$/.exec(path);
    if (req.method === 'GET' && pi) {
      const intent = intents.get(pi[1]!);
      return intent
        ? send(200, intent)
        : send(404, {
            error: {
              type: 'invalid_request_error',
              code: 'resource_missing',
              message: 'No such payment_intent',
            },
          });
    }
    if (req.method === 'POST' && path === '/v1/refunds') return handleRefund(call, send, hold);
    if (handleConnect(call, send)) return;
    const re = /^\/v1\/refunds\/([\w]+)$/.exec(path);
    if (req.method === 'GET' && re) {
      const refund = refunds.get(re[1]!);
      return refund
        ? send(200, publicRefund(refund))
        : send(404, {
            error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such refund' },
          });
    }
    return send(404, { error: { type: 'invalid_request_error', message: `unknown ${req.method} ${path}` } });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    calls,
    refundCalls: () => calls.filter((c) => c.method === 'POST' && c.path === '/v1/refunds'),
    executedRefunds: () => [...refunds.values()].filter((r) => r.status !== 'failed'),
    allRefunds: () => [...refunds.values()],
    refund: (id) => refunds.get(id),
    intent: (id) => intents.get(id),
    fault(kind, opts = {}) {
      faults.push({
        kind,
        remaining: opts.times ?? 1,
        paymentIntent: opts.paymentIntent,
        delayMs: opts.delayMs ?? 1_000,
        failureReason: opts.failureReason ?? 'charge_for_pending_refund_disputed',
      });
    },
    clearFaults() {
      faults.length = 0;
    },
    settle(refundId, status, failureReason = 'lost_or_stolen_card') {
      const refund = refunds.get(refundId);
      if (!refund) throw new Error(`stub: no refund ${refundId}`);
      if (refund.status !== 'pending')
        throw new Error(`stub: refund ${refundId} is already ${refund.status}`);
      refund.status = status;
      if (status === 'failed') refund.failure_reason = failureReason;
      return refund;
    },
    waitForCall(pathPrefix, opts = {}) {
      const match = () =>
        calls
          .slice(opts.since ?? 0)
          .find((c) => c.path.startsWith(pathPrefix) && (!opts.method || c.method === opts.method));
      return new Promise<StubCall>((resolve, reject) => {
        const check = () => {
          const found = match();
          if (!found) return;
          clearTimeout(timer);
          callWaiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          callWaiters.delete(check);
          reject(
            new Error(
              `stub: no ${opts.method ?? ''} ${pathPrefix} call within ${opts.timeoutMs ?? 30_000} ms`,
            ),
          );
        }, opts.timeoutMs ?? 30_000);
        callWaiters.add(check);
        check();
      });
    },
    account: (id) => accounts.get(id),
    onboard(id) {
      const a = accounts.get(id);
      if (!a) throw new Error(`stub: no account ${id}`);
      Object.assign(a, {
        details_submitted: true,
        charges_enabled: true,
        payouts_enabled: true,
        capabilities: { transfers: 'active' },
        requirements: { disabled_reason: null, past_due: [], currently_due: [] },
      });
      return a;
    },
    restrict(id) {
      const a = accounts.get(id);
      if (!a) throw new Error(`stub: no account ${id}`);
      Object.assign(a, {
        charges_enabled: false,
        payouts_enabled: false,
        capabilities: { transfers: 'inactive' },
        requirements: {
          disabled_reason: 'requirements.past_due',
          past_due: ['external_account'],
          currently_due: [],
        },
      });
      return a;
    },
    transfers: () => [...transfers.values()],
    transferCalls: () => calls.filter((c) => c.method === 'POST' && c.path === '/v1/transfers'),
    reverseTransfer(id) {
      const transfer = transfers.get(id);
      if (!transfer) throw new Error(`stub: no transfer ${id}`);
      Object.assign(transfer, { reversed: true, amount_reversed: transfer.amount });
      return transfer;
    },
    failTransfers(times) {
      failingTransfers += times;
    },
    hungCount: () => hung.size,
    releaseHung() {
      for (const res of hung) res.socket?.destroy();
      hung.clear();
    },
    close() {
      for (const res of hung) res.socket?.destroy();
      hung.clear();
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// The Roost side of a refund, read from the database, for assertions against what the stub executed.

/** The money rows of one booking: booking, payment, refunds, and the ledger transactions about them. */
export async function bookingMoney(db: Kysely<DB>, bookingId: string) {
  const booking = await db
    .selectFrom('bookings')
    .select(['status', 'refunded_amount', 'total'])
    .where('id', '=', bookingId)
    .executeTakeFirstOrThrow();
  const payment = await db
    .selectFrom('payments')
    .selectAll()
    .where('booking_id', '=', bookingId)
    .where('status', '=', 'succeeded')
    .executeTakeFirstOrThrow();
  const refunds = await db
    .selectFrom('refunds')
    .selectAll()
    .where('booking_id', '=', bookingId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const refIds = [payment.id, ...refunds.map((r) => r.id)];
  const transactions = await db
    .selectFrom('ledger_transactions')
    .select(['id', 'kind', 'reference_type', 'reference_id', 'currency'])
    .where('reference_id', 'in', refIds)
    .execute();
  const entries = transactions.length
    ? await db
        .selectFrom('ledger_entries')
        .select(['transaction_id', 'account', 'amount'])
        .where(
          'transaction_id',
          'in',
          transactions.map((x) => x.id),
        )
        .execute()
    : [];
  const clearing = entries
    .filter((e) => e.account === 'provider_clearing')
    .reduce((s, e) => s + Number(e.amount), 0);
  return {
    booking: { ...booking, refunded_amount: Number(booking.refunded_amount) },
    payment: { ...payment, amount: Number(payment.amount), refunded_amount: Number(payment.refunded_amount) },
    refunds: refunds.map((r) => ({ ...r, amount: Number(r.amount), attempts: Number(r.attempts) })),
    transactions,
    /** Ledger refund transactions referencing this refund. */
    refundPostings: (refundId: string) =>
      transactions.filter(
        (x) => x.kind === 'refund' && x.reference_type === 'refund' && x.reference_id === refundId,
      ),
    /** provider_clearing over this booking's transactions: captured − succeeded refunds. */
    clearing,
    /** Each of this booking's ledger transactions sums to zero. */
    unbalancedTransactions: transactions.filter(
      (x) => entries.filter((e) => e.transaction_id === x.id).reduce((s, e) => s + Number(e.amount), 0) !== 0,
    ),
  };
}

/**
 * The invariants of a booking whose refunds are settled or pending:
 *  - bookings.refunded_amount = payments.refunded_amount = Σ amount of its pending and succeeded refunds;
 *  - one ledger refund transaction per succeeded refund, none for pending or failed ones;
 *  - the charge posted once; provider_clearing (over its transactions) = captured − succeeded refunds;
 *  - every one of its transactions balances, and the whole ledger sums to 0 per currency.
 * Returns the rows, for more specific assertions. Throws with the rows when an invariant fails.
 */
export async function expectMoneyConsistent(db: Kysely<DB>, bookingId: string) {
  const m = await bookingMoney(db, bookingId);
  const live = m.refunds.filter((r) => r.status === 'pending' || r.status === 'succeeded');
  const succeeded = m.refunds.filter((r) => r.status === 'succeeded');
  const problems: string[] = [];
  const liveSum = live.reduce((s, r) => s + r.amount, 0);
  if (m.booking.refunded_amount !== liveSum || m.payment.refunded_amount !== liveSum) {
    problems.push(
      `refunded amounts: booking ${m.booking.refunded_amount}, payment ${m.payment.refunded_amount}, Σ pending+succeeded refunds ${liveSum}`,
    );
  }
  for (const r of m.refunds) {
    const n = m.refundPostings(r.id).length;
    if (n !== (r.status === 'succeeded' ? 1 : 0))
      problems.push(`refund ${r.id} (${r.status}) posted ${n} times`);
  }
  const charges = m.transactions.filter((x) => x.kind === 'guest_charge' && x.reference_id === m.payment.id);
  if (charges.length !== 1) problems.push(`charge posted ${charges.length} times`);
  const expectedClearing = m.payment.amount - succeeded.reduce((s, r) => s + r.amount, 0);
  if (m.clearing !== expectedClearing) {
    problems.push(
      `provider_clearing ${m.clearing}, expected captured − succeeded refunds = ${expectedClearing}`,
    );
  }
  if (m.unbalancedTransactions.length)
    problems.push(`unbalanced: ${JSON.stringify(m.unbalancedTransactions)}`);
  const balance = await ledgerBalance(db);
  if (!Object.values(balance).every((v) => v === 0))
    problems.push(`ledger balance ${JSON.stringify(balance)}`);
  if (problems.length) {
    throw new Error(
      `money of booking ${bookingId} is inconsistent:\n  ${problems.join('\n  ')}\nrows: ${JSON.stringify(
        { booking: m.booking, payment: m.payment, refunds: m.refunds, transactions: m.transactions },
        null,
        1,
      )}`,
    );
  }
  return m;
}
