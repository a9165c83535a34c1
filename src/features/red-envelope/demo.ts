import { after, before, type DemoData } from '../../demo/data.js';
import { cast, scripted, type DemoTenant, type Person } from '../../demo/people.js';

/**
 * Demo red envelopes over the last five and a half years, so some payment records are past the five
 * years they must be kept: alice's and bob's scripted envelopes, then random ones. Each envelope comes
 * with its payment records: the sender's payment, each claimed share, and a refund of what nobody claimed.
 */

const GREETINGS = ['Happy New Year!', 'Congratulations!', 'Great job, team!', 'Happy birthday!', 'Coffee is on me'];
const OLDEST_DAYS = 2000;

interface EnvelopeSpec {
  kind: 'lucky' | 'fixed';
  /** In cents. */
  total: number;
  shares: number;
  greeting: string;
  daysAgo: number;
}

function money(cents: number): string {
  return (cents / 100).toFixed(2);
}

class Envelopes {
  private readonly alipay = new Map<string, string>();

  constructor(
    private readonly data: DemoData,
    private readonly tenant: DemoTenant,
  ) {}

  bound(): string[] {
    return [...this.alipay.keys()];
  }

  bind(person: Person): void {
    const r = this.data.random;
    const account = `${person.name.toLowerCase().replaceAll(' ', '.')}@mail.example`;
    this.alipay.set(person.accountId, account);
    this.data.add('red_envelope.alipay_accounts', {
      id: this.data.id(),
      tenant_id: this.tenant.id,
      account_id: person.accountId,
      name: person.name,
      alipay_account: account,
      bound_at: before(this.data.today, OLDEST_DAYS + r.int(10, 300)),
    });
  }

  send(sender: string, spec: EnvelopeSpec, claimers: string[]): void {
    const r = this.data.random;
    const id = this.data.id();
    const sentAt = before(this.data.today, spec.daysAgo, r.int(0, 600));
    this.data.add('red_envelope.envelopes', {
      id,
      tenant_id: this.tenant.id,
      sender_account_id: sender,
      kind: spec.kind,
      total_amount: money(spec.total),
      shares: spec.shares,
      greeting: spec.greeting,
      sent_at: sentAt,
    });
    this.pay(sender, id, 'send', spec.total, sentAt);
    const amounts = this.split(spec);
    claimers.slice(0, spec.shares).forEach((claimer, i) => {
      const claimedAt = after(sentAt, r.int(1, 600));
      this.data.add('red_envelope.claims', {
        id: this.data.id(),
        tenant_id: this.tenant.id,
        envelope_id: id,
        account_id: claimer,
        amount: money(amounts[i]!),
        claimed_at: claimedAt,
      });
      this.pay(claimer, id, 'receive', amounts[i]!, claimedAt);
    });
    const unclaimed = amounts.slice(claimers.length).reduce((a, b) => a + b, 0);
    // What nobody claims within a day goes back to the sender.
    if (unclaimed > 0) this.pay(sender, id, 'refund', unclaimed, after(sentAt, 24 * 60));
  }

  /** Shares in cents: equal for a fixed envelope, random (at least a cent each) for a lucky one. */
  private split(spec: EnvelopeSpec): number[] {
    if (spec.kind === 'fixed') return Array.from({ length: spec.shares }, () => spec.total / spec.shares);
    const weights = Array.from({ length: spec.shares }, () => this.data.random.int(1, 100));
    const sum = weights.reduce((a, b) => a + b, 0);
    const spare = spec.total - spec.shares;
    const amounts = weights.map((w) => 1 + Math.floor((spare * w) / sum));
    amounts[0]! += spec.total - amounts.reduce((a, b) => a + b, 0);
    return amounts;
  }

  private pay(accountId: string, envelope: string, kind: 'send' | 'receive' | 'refund', cents: number, at: Date): void {
    this.data.add('red_envelope.payments', {
      id: this.data.id(),
      tenant_id: this.tenant.id,
      account_id: accountId,
      envelope_id: envelope,
      kind,
      amount: money(cents),
      currency: 'CNY',
      alipay_account: this.alipay.get(accountId)!,
      trade_no: `${at.toISOString().slice(0, 10).replaceAll('-', '')}${this.data.random.hex(10)}`,
      paid_at: at,
    });
  }
}

/** Claimed, partly claimed, unclaimed and over-five-years-old envelopes of alice, and one of bob's she claimed from. */
function scriptedEnvelopes(envelopes: Envelopes, tenant: DemoTenant): void {
  const [alice, bob, carol, dave, erin, frank] = cast(tenant, ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']);
  for (const person of [alice, bob, carol, dave, erin, frank]) envelopes.bind(person);
  const send = (from: Person, spec: EnvelopeSpec, claimers: Person[]) => envelopes.send(from.accountId, spec, claimers.map((p) => p.accountId));
  send(alice, { kind: 'lucky', total: 8800, shares: 4, greeting: 'Happy New Year, team!', daysAgo: 300 }, [bob, carol, dave]);
  send(alice, { kind: 'fixed', total: 2000, shares: 1, greeting: 'Thanks for the help', daysAgo: 40 }, [erin]);
  send(alice, { kind: 'fixed', total: 1000, shares: 1, greeting: 'Welcome to the team', daysAgo: 10 }, []);
  send(alice, { kind: 'lucky', total: 6600, shares: 3, greeting: 'Spring festival', daysAgo: 1900 }, [bob]);
  send(bob, { kind: 'lucky', total: 5000, shares: 5, greeting: 'Great quarter!', daysAgo: 100 }, [alice, carol, frank]);
}

export function seedRedEnvelope(data: DemoData, tenant: DemoTenant): void {
  const r = data.random;
  const envelopes = new Envelopes(data, tenant);
  if (scripted(tenant)) scriptedEnvelopes(envelopes, tenant);
  const bound = new Set(envelopes.bound());
  for (const person of tenant.people) if (!bound.has(person.accountId) && r.chance(0.5)) envelopes.bind(person);
  const people = envelopes.bound();
  for (let i = 0; i < people.length * 0.6; i++) {
    const [sender, ...others] = r.sample(people, r.int(1, 5));
    const shares = r.int(1, 5);
    const kind = r.pick(['lucky', 'fixed'] as const);
    const spec = { kind, total: shares * r.int(100, 2000), shares, greeting: r.pick(GREETINGS), daysAgo: r.int(2, OLDEST_DAYS) };
    envelopes.send(sender!, spec, others);
  }
}
