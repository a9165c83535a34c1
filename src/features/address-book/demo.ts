import { after, type DemoData } from '../../demo/data.js';
import { faceImage } from '../../demo/files.js';
import { followed, type DemoTenant, type Person } from '../../demo/people.js';

/**
 * Demo address book: everyone's directory entry (the Support team lists the shared support mailbox,
 * so in acme two accounts share one email address), and a few external contacts per person.
 */

const POSITIONS: Record<string, string[]> = {
  Engineering: ['Software Engineer', 'Engineering Manager', 'Site Reliability Engineer'],
  Sales: ['Account Executive', 'Sales Manager'],
  Marketing: ['Marketing Specialist', 'Content Lead'],
  Finance: ['Accountant', 'Controller'],
  People: ['HR Business Partner', 'Recruiter'],
  Operations: ['Operations Analyst', 'Facilities Coordinator'],
  Legal: ['Legal Counsel', 'Compliance Officer'],
  Support: ['Support Engineer', 'Support Lead'],
};
const ROLES = ['employee', 'employee', 'employee', 'team lead', 'manager'];
const SIGNATURES = ['Make it work, then make it fast.', 'Out of office on Fridays.', 'Coffee first.', 'Ask me about our roadmap.', null];
const REMARKS = ['Part-time, mornings only', 'Fire warden, floor 3', 'First aider', null, null];
const EXTERNAL = [
  { name: 'Maria Garcia', company: 'Initech', position: 'Purchasing Manager' },
  { name: 'Tom Baker', company: 'Umbrella Logistics', position: 'Account Manager' },
  { name: 'Sven Olsen', company: 'Nordwind GmbH', position: 'CTO' },
  { name: 'Priya Raman', company: 'Hooli', position: 'Partner Manager' },
  { name: 'Kenji Sato', company: 'Soylent Foods', position: 'Buyer' },
  { name: 'Laura Rossi', company: 'Vandelay Industries', position: 'Import Specialist' },
  { name: 'Omar Farouk', company: 'Stark Components', position: 'Sales Director' },
];
const EXTERNAL_REMARKS = ['Met at the trade fair', 'Supplier contact', 'Prefers email', null];

const UPDATED = new Date('2025-01-13T09:00:00Z');

/** "+49 151 2345 1001" as the address book writes it: "+49 (151) 2345-1001". */
function bookFormat(mobile: string): string {
  const [country, network, first, last] = mobile.split(' ');
  return `${country} (${network}) ${first}-${last}`;
}

function entry(data: DemoData, tenant: DemoTenant, person: Person): void {
  const r = data.random;
  const image = followed(person) || r.chance(0.7) ? data.file('address-book', tenant.id, faceImage(r)) : null;
  data.add('address_book.contacts', {
    id: data.id(),
    tenant_id: tenant.id,
    account_id: person.accountId,
    name: person.name,
    gender: r.chance(0.1) && !followed(person) ? 'undisclosed' : person.gender,
    birthday: `${r.int(1965, 2001)}-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}`,
    personal_signature: r.pick(SIGNATURES),
    mobile: bookFormat(person.mobile),
    email: person.department === 'Support' ? tenant.supportMailbox : person.email,
    employee_id: person.employeeId,
    position: r.pick(POSITIONS[person.department] ?? ['Specialist']),
    role: r.pick(ROLES),
    department: person.department,
    office_address: tenant.office.address,
    remarks: r.pick(REMARKS),
    profile_image_key: image?.key ?? null,
    profile_image_media_type: image ? 'image/png' : null,
    profile_image_size: image?.size ?? null,
    profile_image_sha256: image?.sha256 ?? null,
    updated_at: after(UPDATED, r.int(0, 60) * 24 * 60),
  });
}

function externalContacts(data: DemoData, tenant: DemoTenant, person: Person): void {
  const r = data.random;
  for (const contact of r.sample(EXTERNAL, followed(person) ? 3 : r.int(0, 2))) {
    const [first, last] = contact.name.toLowerCase().split(' ');
    data.add('address_book.external_contacts', {
      id: data.id(),
      tenant_id: tenant.id,
      owner_account_id: person.accountId,
      name: contact.name,
      company: contact.company,
      position: contact.position,
      mobile: `+44 20 7946 ${r.int(1000, 9999)}`,
      email: `${first}.${last}@${contact.company.toLowerCase().replaceAll(' ', '-')}.example`,
      remarks: r.pick(EXTERNAL_REMARKS),
      created_at: after(UPDATED, r.int(0, 300) * 24 * 60),
    });
  }
}

export function seedAddressBook(data: DemoData, tenant: DemoTenant): void {
  for (const person of tenant.people) {
    entry(data, tenant, person);
    externalContacts(data, tenant, person);
  }
}
