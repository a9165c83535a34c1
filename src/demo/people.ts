/** The demo tenants and their people. Account ids are short lowercase first names, unique across tenants. */

export interface Person {
  accountId: string;
  name: string;
  department: string;
}

export interface DemoTenant {
  id: string;
  name: string;
  domain: string;
  employeePrefix: string;
  office: { address: string; latitude: number; longitude: number };
  people: Person[];
}

const DEPARTMENTS = ['Engineering', 'Sales', 'Marketing', 'Finance', 'People', 'Operations', 'Legal', 'Support'];

function people(names: string[]): Person[] {
  return names.map((name, i) => ({
    accountId: name.split(' ')[0]!.toLowerCase(),
    name,
    department: DEPARTMENTS[i % DEPARTMENTS.length]!,
  }));
}

export const DEMO_TENANTS: DemoTenant[] = [
  {
    id: 'acme',
    name: 'Acme Corp',
    domain: 'acme.example',
    employeePrefix: 'AC',
    office: { address: 'Alexanderplatz 1, 10178 Berlin', latitude: 52.521918, longitude: 13.413215 },
    people: people([
      'Alice Martin', 'Bob Schneider', 'Carol Nguyen', 'Dave Okafor', 'Erin Walsh', 'Frank Berger',
      'Grace Lindqvist', 'Heidi Novak', 'Ivan Petrov', 'Judy Alvarez', 'Kate Brennan', 'Leo Fischer',
      'Mia Rossi', 'Nick Jansen', 'Olivia Chen', 'Peggy Moreau', 'Quinn Harper', 'Rupert Stein',
      'Sybil Costa', 'Trent Larsen', 'Uma Desai', 'Victor Klein',
    ]),
  },
  {
    id: 'globex',
    name: 'Globex Inc',
    domain: 'globex.example',
    employeePrefix: 'GX',
    office: { address: 'Marienplatz 8, 80331 München', latitude: 48.137154, longitude: 11.576124 },
    people: people([
      'Hank Scorpio', 'Walter Brandt', 'Xena Papadopoulos', 'Yusuf Demir', 'Zoe Whitaker', 'Arthur Lambert',
      'Bella Ferreira', 'Chen Wei', 'Dmitri Volkov', 'Elena Marquez', 'Farid Haddad', 'Gina Russo',
    ]),
  },
];
