import { after, type DemoData } from '../../demo/data.js';
import { cast, scripted, type DemoTenant, type Person } from '../../demo/people.js';

/** Demo WeForm: alice's survey others answered and her unanswered draft, bob's form alice answered, then random forms. */

interface Form {
  title: string;
  description: string;
  questions: string[];
}

const OFFSITE: Form = { title: 'Team offsite survey', description: 'Help us pick a date and a place.', questions: ['Preferred month', 'Activity'] };
const LUNCH: Form = { title: 'Lunch preferences', description: 'For the catering order.', questions: ['Main course', 'Dietary needs'] };
const TRAINING: Form = { title: 'Training needs 2025', description: 'Which courses would help you most?', questions: ['Topic', 'Format'] };
const DESKS: Form = { title: 'Office move: desk wishes', description: 'Tell us where you would like to sit.', questions: ['Floor', 'Near a window'] };
const FORMS = [OFFSITE, LUNCH, TRAINING, DESKS];
const ANSWERS = ['May', 'June', 'Hiking', 'Cooking class', 'Vegetarian', 'None', 'Cloud basics', 'Online', '3rd floor', 'Yes', 'No'];
const START = new Date('2025-02-24T09:00:00Z');

class Forms {
  constructor(
    private readonly data: DemoData,
    private readonly tenant: DemoTenant,
  ) {}

  form(owner: Person, form: Form, respondents: Person[]): void {
    const r = this.data.random;
    const id = this.data.id();
    const createdAt = after(START, r.int(0, 30) * 24 * 60);
    this.data.add('weform.forms', {
      id,
      tenant_id: this.tenant.id,
      owner_account_id: owner.accountId,
      title: form.title,
      description: form.description,
      created_at: createdAt,
    });
    for (const person of respondents) {
      const answers = Object.fromEntries(form.questions.map((q) => [q, r.pick(ANSWERS)]));
      this.data.add('weform.submissions', {
        id: this.data.id(),
        tenant_id: this.tenant.id,
        form_id: id,
        account_id: person.accountId,
        name: person.name,
        department: person.department,
        employee_id: person.employeeId,
        answers: JSON.stringify(answers),
        submitted_at: after(createdAt, r.int(10, 5 * 24 * 60)),
      });
    }
  }
}

function scriptedForms(forms: Forms, tenant: DemoTenant): void {
  const [alice, bob, carol, dave, erin] = cast(tenant, ['alice', 'bob', 'carol', 'dave', 'erin']);
  forms.form(alice, { ...OFFSITE, title: 'Phoenix offsite survey' }, [bob, carol, dave]);
  forms.form(alice, { ...TRAINING, title: 'Draft poll' }, []);
  forms.form(bob, LUNCH, [alice, erin]);
}

export function seedWeform(data: DemoData, tenant: DemoTenant): void {
  const r = data.random;
  const forms = new Forms(data, tenant);
  if (scripted(tenant)) scriptedForms(forms, tenant);
  for (let i = 0; i < tenant.people.length * 0.3; i++) {
    const [owner, ...respondents] = r.sample(tenant.people, r.int(3, 7));
    forms.form(owner!, r.pick(FORMS), respondents);
  }
}
