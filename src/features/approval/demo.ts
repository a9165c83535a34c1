import { after, type DemoData } from '../../demo/data.js';
import { cast, scripted, type DemoTenant, type Person } from '../../demo/people.js';

/**
 * Demo approvals: a profile per person; alice's leave request bob approved, her expense claim nobody
 * has acted on yet, bob's trip alice approved; then random submissions with one or two approvers.
 */

type Decision = 'pending' | 'approved' | 'rejected';

const FORMS = [
  { form: 'leave', title: 'Annual leave', content: '3 days of annual leave, handover to the team lead.' },
  { form: 'expense', title: 'Taxi to the airport', content: 'EUR 48.50, receipt attached, project Phoenix.' },
  { form: 'business_trip', title: 'Customer visit in Munich', content: 'Two days, train and one hotel night.' },
  { form: 'purchase', title: 'Second monitor', content: '27 inch monitor for the home office, EUR 229.' },
] as const;
const COMMENTS: Record<Decision, (string | null)[]> = {
  approved: ['Approved.', 'Fine with me.', null],
  rejected: ['Please attach the receipt.', 'Not in this quarter, sorry.'],
  pending: [null],
};
const START = new Date('2025-02-17T09:00:00Z');

class Approvals {
  constructor(
    private readonly data: DemoData,
    private readonly tenant: DemoTenant,
  ) {}

  submit(applicant: Person, form: (typeof FORMS)[number], steps: [Person, Decision][]): void {
    const r = this.data.random;
    const id = this.data.id();
    const submittedAt = after(START, r.int(0, 40) * 24 * 60 + r.int(0, 480));
    const decisions = steps.map(([, d]) => d);
    const status = decisions.includes('rejected') ? 'rejected' : decisions.every((d) => d === 'approved') ? 'approved' : 'pending';
    this.data.add('approval.submissions', {
      id,
      tenant_id: this.tenant.id,
      applicant_account_id: applicant.accountId,
      ...form,
      status,
      submitted_at: submittedAt,
    });
    steps.forEach(([approver, decision], i) => {
      this.data.add('approval.steps', {
        id: this.data.id(),
        tenant_id: this.tenant.id,
        submission_id: id,
        position: i + 1,
        approver_account_id: approver.accountId,
        decision,
        comment: r.pick(COMMENTS[decision]),
        decided_at: decision === 'pending' ? null : after(submittedAt, (i + 1) * r.int(60, 1440)),
      });
    });
  }
}

function scriptedSubmissions(approvals: Approvals, tenant: DemoTenant): void {
  const [alice, bob, carol, dave] = cast(tenant, ['alice', 'bob', 'carol', 'dave']);
  const [leave, expense, trip] = [FORMS[0], FORMS[1], FORMS[2]];
  approvals.submit(alice, leave, [[bob, 'approved'], [dave, 'approved']]);
  approvals.submit(alice, expense, [[carol, 'pending']]);
  approvals.submit(bob, trip, [[alice, 'approved'], [dave, 'pending']]);
}

export function seedApproval(data: DemoData, tenant: DemoTenant): void {
  const r = data.random;
  const approvals = new Approvals(data, tenant);
  for (const person of tenant.people) {
    data.add('approval.profiles', {
      id: data.id(),
      tenant_id: tenant.id,
      account_id: person.accountId,
      name: person.name,
      employee_id: person.employeeId,
      department: person.department,
    });
  }
  if (scripted(tenant)) scriptedSubmissions(approvals, tenant);
  for (let i = 0; i < tenant.people.length * 0.8; i++) {
    const [applicant, ...approvers] = r.sample(tenant.people, r.int(2, 3));
    const decisions: Decision[] = ['approved', 'approved', 'rejected', 'pending'];
    approvals.submit(applicant!, r.pick(FORMS), approvers.map((a): [Person, Decision] => [a, r.pick(decisions)]));
  }
}
