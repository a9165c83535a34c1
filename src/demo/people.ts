/** The demo tenants and their people. Account ids are short lowercase first names, unique across tenants. */

export interface Person {
  accountId: string;
  name: string;
  gender: 'female' | 'male';
  department: string;
  employeeId: string;
  email: string;
  /** Written the way the login store keeps it: "+49 151 2345 1001"; other stores write it their own way. */
  mobile: string;
}

export interface DemoTenant {
  id: string;
  name: string;
  domain: string;
  employeePrefix: string;
  /** Country and network code every mobile number of the tenant starts with. */
  mobilePrefix: string;
  office: { address: string; latitude: number; longitude: number };
  /** The Support team lists this shared mailbox in the address book (two people in acme). */
  supportMailbox: string;
  people: Person[];
}

const DEPARTMENTS = ['Engineering', 'Sales', 'Marketing', 'Finance', 'People', 'Operations', 'Legal', 'Support'];

type TenantBasics = Pick<DemoTenant, 'domain' | 'employeePrefix' | 'mobilePrefix'>;

function people(tenant: TenantBasics, names: [string, Person['gender']][]): Person[] {
  return names.map(([name, gender], i) => {
    const accountId = name.split(' ')[0]!.toLowerCase();
    return {
      accountId,
      name,
      gender,
      department: DEPARTMENTS[i % DEPARTMENTS.length]!,
      employeeId: `${tenant.employeePrefix}-${String(i + 1).padStart(5, '0')}`,
      email: `${accountId}@${tenant.domain}`,
      mobile: `${tenant.mobilePrefix} ${String(1001 + i)}`,
    };
  });
}

const acme: TenantBasics = { domain: 'acme.example', employeePrefix: 'AC', mobilePrefix: '+49 151 2345' };
const globex: TenantBasics = { domain: 'globex.example', employeePrefix: 'GX', mobilePrefix: '+49 160 9876' };

export const DEMO_TENANTS: DemoTenant[] = [
  {
    id: 'acme',
    name: 'Acme Corp',
    ...acme,
    office: { address: 'Alexanderplatz 1, 10178 Berlin', latitude: 52.521918, longitude: 13.413215 },
    supportMailbox: 'support@acme.example',
    people: people(acme, [
      ['Alice Martin', 'female'], ['Bob Schneider', 'male'], ['Carol Nguyen', 'female'], ['Dave Okafor', 'male'],
      ['Erin Walsh', 'female'], ['Frank Berger', 'male'], ['Grace Lindqvist', 'female'], ['Heidi Novak', 'female'],
      ['Ivan Petrov', 'male'], ['Judy Alvarez', 'female'], ['Kate Brennan', 'female'], ['Leo Fischer', 'male'],
      ['Mia Rossi', 'female'], ['Nick Jansen', 'male'], ['Olivia Chen', 'female'], ['Peggy Moreau', 'female'],
      ['Quinn Harper', 'male'], ['Rupert Stein', 'male'], ['Sybil Costa', 'female'], ['Trent Larsen', 'male'],
      ['Uma Desai', 'female'], ['Victor Klein', 'male'],
    ]),
  },
  {
    id: 'globex',
    name: 'Globex Inc',
    ...globex,
    office: { address: 'Marienplatz 8, 80331 München', latitude: 48.137154, longitude: 11.576124 },
    supportMailbox: 'support@globex.example',
    people: people(globex, [
      ['Hank Scorpio', 'male'], ['Walter Brandt', 'male'], ['Xena Papadopoulos', 'female'], ['Yusuf Demir', 'male'],
      ['Zoe Whitaker', 'female'], ['Arthur Lambert', 'male'], ['Bella Ferreira', 'female'], ['Chen Wei', 'male'],
      ['Dmitri Volkov', 'male'], ['Elena Marquez', 'female'], ['Farid Haddad', 'male'], ['Gina Russo', 'female'],
    ]),
  },
];

/** alice and bob: the people the tests follow, who have data in every feature. */
export function followed(person: Person): boolean {
  return person.accountId === 'alice' || person.accountId === 'bob';
}

/** Whether the tenant is the one with the scripted data (alice's). */
export function scripted(tenant: DemoTenant): boolean {
  return tenant.people.some((p) => p.accountId === 'alice');
}

function personOf(tenant: DemoTenant, accountId: string): Person {
  const found = tenant.people.find((p) => p.accountId === accountId);
  if (!found) throw new Error(`demo: no ${accountId} in ${tenant.id}`);
  return found;
}

/** The people with these account ids, in order: `const [alice, bob] = cast(tenant, ['alice', 'bob'])`. */
export function cast<const T extends readonly string[]>(tenant: DemoTenant, accountIds: T): { [K in keyof T]: Person } {
  return accountIds.map((id) => personOf(tenant, id)) as { [K in keyof T]: Person };
}
