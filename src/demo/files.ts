import { crc32, deflateSync } from 'node:zlib';
import type { Random } from './random.js';

/** Small but real files for the demo: each opens in an ordinary viewer. */

export interface DemoFile {
  name: string;
  mediaType: string;
  body: Buffer;
}

type Rgb = [number, number, number];

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** An 8-bit RGB PNG, one filter byte (none) per scanline. */
function png(width: number, height: number, pixel: (x: number, y: number) => Rgb): Buffer {
  const stride = width * 3 + 1;
  const raw = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw.set(pixel(x, y), y * stride + 1 + x * 3);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function randomColor(random: Random): Rgb {
  return [random.int(40, 220), random.int(40, 220), random.int(40, 220)];
}

/** A picture: a diagonal gradient between two random colours. */
export function picture(random: Random, name: string): DemoFile {
  const [a, b] = [randomColor(random), randomColor(random)];
  const size = 24;
  const body = png(size, size, (x, y) => {
    const t = (x + y) / (2 * size - 2);
    return [0, 1, 2].map((i) => Math.round(a[i]! * (1 - t) + b[i]! * t)) as Rgb;
  });
  return { name, mediaType: 'image/png', body };
}

/** A face image as a clock-in terminal would keep it: an oval face on a plain background. */
export function faceImage(random: Random): Buffer {
  const background = randomColor(random);
  const skin: Rgb = [random.int(140, 240), random.int(100, 190), random.int(80, 150)];
  const size = 32;
  return png(size, size, (x, y) => {
    const dx = (x - size / 2) / 10;
    const dy = (y - size / 2) / 13;
    const eye = y === 13 && (x === 12 || x === 19);
    if (eye) return [30, 30, 30];
    return dx * dx + dy * dy <= 1 ? skin : background;
  });
}

/** A short mono 8-bit PCM WAV: a tone of the given pitch. */
export function voice(seconds: number, frequency: number): Buffer {
  const rate = 8000;
  const samples = Math.round(seconds * rate);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + samples, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate, 28); // bytes per second
  header.writeUInt16LE(1, 32); // block align
  header.writeUInt16LE(8, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(samples, 40);
  const data = Buffer.alloc(samples);
  for (let i = 0; i < samples; i++) data[i] = 128 + Math.round(90 * Math.sin((2 * Math.PI * frequency * i) / rate));
  return Buffer.concat([header, data]);
}

function pdfText(text: string): string {
  return text.replace(/[\\()]/g, (c) => `\\${c}`);
}

/** A one-page PDF with a title and a few lines, with a correct cross-reference table. */
function pdf(title: string, lines: string[]): Buffer {
  const content = [`BT /F1 18 Tf 72 770 Td (${pdfText(title)}) Tj /F1 11 Tf`]
    .concat(lines.map((l) => `0 -18 Td (${pdfText(l)}) Tj`), ['ET'])
    .join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(content)} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  out += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

const TOPICS = ['Quarterly report', 'Roadmap', 'Budget', 'Onboarding guide', 'Release notes', 'Meeting notes', 'Travel policy'];
const LINES = [
  'Status: on track for the next milestone.',
  'Open questions are listed at the end of this document.',
  'Numbers are preliminary until finance signs off.',
  'Action items are owned by the team leads.',
  'Feedback welcome before Friday.',
  'See the shared folder for the source data.',
];

/** A document of a random kind: PDF, plain text, Markdown or CSV. */
export function document(random: Random): DemoFile {
  const topic = random.pick(TOPICS);
  const slug = topic.toLowerCase().replaceAll(' ', '-');
  const lines = random.sample(LINES, 3);
  switch (random.int(0, 3)) {
    case 0:
      return { name: `${slug}.pdf`, mediaType: 'application/pdf', body: pdf(topic, lines) };
    case 1:
      return { name: `${slug}.txt`, mediaType: 'text/plain', body: Buffer.from(`${topic}\n\n${lines.join('\n')}\n`) };
    case 2:
      return { name: `${slug}.md`, mediaType: 'text/markdown', body: Buffer.from(`# ${topic}\n\n${lines.map((l) => `- ${l}`).join('\n')}\n`) };
    default: {
      const rows = Array.from({ length: 5 }, (_, i) => `2025-0${i + 1},${random.int(1000, 9000)},${random.int(10, 90)}`);
      return { name: `${slug}.csv`, mediaType: 'text/csv', body: Buffer.from(`${['month,amount,count', ...rows].join('\n')}\n`) };
    }
  }
}
