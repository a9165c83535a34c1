import yauzl from 'yauzl';

/**
 * Where a result differs from the reference run's, for the table's notes: the zip entries whose
 * content differs (by CRC-32) or only whose times do, or the receipt's fields that differ. Names are
 * shortened to their first path segment (`files/…`): the table is read, not searched.
 */

interface Entry {
  crc32: number;
  time: number;
}

async function zipEntries(zip: Buffer): Promise<Map<string, Entry>> {
  const file = await yauzl.fromBufferPromise(zip, { lazyEntries: true });
  const found = new Map<string, Entry>();
  await new Promise<void>((resolve, reject) => {
    file.on('entry', (entry: yauzl.Entry) => {
      found.set(entry.fileName, { crc32: entry.crc32, time: entry.lastModFileDate * 65536 + entry.lastModFileTime });
      file.readEntry();
    });
    file.on('end', resolve);
    file.on('error', reject);
    file.readEntry();
  });
  file.close();
  return found;
}

const short = (name: string) => (name.includes('/') ? `${name.split('/')[0]}/…` : name);

function jsonFields(a: unknown, b: unknown, at = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(a) || !isObject(b) || at.split('.').length > 2) return [at || 'the whole'];
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((k) => jsonFields(a[k], b[k], at ? `${at}.${k}` : k));
}

/** What differs between the reference's bytes and these. */
export async function differences(reference: Buffer, result: Buffer): Promise<string[]> {
  if (reference.subarray(0, 2).toString() === 'PK' && result.subarray(0, 2).toString() === 'PK') {
    const [a, b] = [await zipEntries(reference), await zipEntries(result)];
    const found = new Set<string>();
    for (const name of new Set([...a.keys(), ...b.keys()])) {
      const [x, y] = [a.get(name), b.get(name)];
      if (!x || !y) found.add(`entry ${short(name)} ${x ? 'missing' : 'added'}`);
      else if (x.crc32 !== y.crc32) found.add(`content of ${short(name)}`);
      else if (x.time !== y.time) found.add('entry times');
    }
    return found.size > 0 ? [...found] : ['zip structure'];
  }
  try {
    return jsonFields(JSON.parse(reference.toString('utf8')), JSON.parse(result.toString('utf8'))).map((f) => `receipt ${f}`);
  } catch {
    return ['bytes'];
  }
}
