import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { HpackDecoder, HpackEncoder, HpackError } from './hpack';
import { prng } from '../../otlp/proto/fixtures-wire';

type Field = [string, string];

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const flat = (fields: Field[]): string[] => fields.flat();

/** Decodes one block and checks the header list, the dynamic table (newest first) and its size afterwards. */
function step(d: HpackDecoder, block: string, list: Field[], table: Field[], size: number): void {
  const out = d.decode(hex(block));
  assert.deepEqual(out, { fields: flat(list), tooLarge: false });
  assert.deepEqual(d.tableEntries(), table);
  assert.equal(d.tableSize(), size);
}

// RFC 7541 Appendix C: the header lists and dynamic tables shared by the plain and Huffman examples.
const AUTH: Field = [':authority', 'www.example.com'];
const REQ1: Field[] = [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], AUTH];
const REQ2: Field[] = [...REQ1, ['cache-control', 'no-cache']];
const REQ3: Field[] = [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], AUTH, ['custom-key', 'custom-value']];
const REQ_TABLES: Array<[Field[], number]> = [
  [[AUTH], 57],
  [[['cache-control', 'no-cache'], AUTH], 110],
  [[['custom-key', 'custom-value'], ['cache-control', 'no-cache'], AUTH], 164],
];
const LOC: Field = ['location', 'https://www.example.com'];
const DATE21: Field = ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'];
const DATE22: Field = ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'];
const PRIVATE: Field = ['cache-control', 'private'];
const COOKIE: Field = ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'];
const GZIP: Field = ['content-encoding', 'gzip'];
const RES1: Field[] = [[':status', '302'], PRIVATE, DATE21, LOC];
const RES2: Field[] = [[':status', '307'], PRIVATE, DATE21, LOC];
const RES3: Field[] = [[':status', '200'], PRIVATE, DATE22, LOC, GZIP, COOKIE];
const RES_TABLES: Array<[Field[], number]> = [
  [[LOC, DATE21, PRIVATE, [':status', '302']], 222],
  [[[':status', '307'], LOC, DATE21, PRIVATE], 222],
  [[COOKIE, GZIP, DATE22], 215],
];

describe('HPACK decoder: RFC 7541 Appendix C examples', () => {
  it('C.2.1 literal with indexing: the field enters the dynamic table', () => {
    step(new HpackDecoder(), '400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572', [['custom-key', 'custom-header']], [['custom-key', 'custom-header']], 55);
  });
  it('C.2.2 literal without indexing, indexed name: the table stays empty', () => {
    step(new HpackDecoder(), '040c 2f73 616d 706c 652f 7061 7468', [[':path', '/sample/path']], [], 0);
  });
  it('C.2.3 literal never indexed, new name: the table stays empty', () => {
    step(new HpackDecoder(), '1008 7061 7373 776f 7264 0673 6563 7265 74', [['password', 'secret']], [], 0);
  });
  it('C.2.4 indexed field from the static table', () => {
    step(new HpackDecoder(), '82', [[':method', 'GET']], [], 0);
  });

  it('C.3 three requests on one connection, without Huffman coding', () => {
    const d = new HpackDecoder();
    step(d, '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d', REQ1, ...REQ_TABLES[0]);
    step(d, '8286 84be 5808 6e6f 2d63 6163 6865', REQ2, ...REQ_TABLES[1]);
    step(d, '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65', REQ3, ...REQ_TABLES[2]);
  });
  it('C.4 the same requests with Huffman coding', () => {
    const d = new HpackDecoder();
    step(d, '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', REQ1, ...REQ_TABLES[0]);
    step(d, '8286 84be 5886 a8eb 1064 9cbf', REQ2, ...REQ_TABLES[1]);
    step(d, '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf', REQ3, ...REQ_TABLES[2]);
  });
  it('C.5 three responses with a 256-octet table: entries are evicted, without Huffman coding', () => {
    const d = new HpackDecoder(256);
    step(
      d,
      `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
       2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d`,
      RES1,
      ...RES_TABLES[0],
    );
    step(d, '4803 3330 37c1 c0bf', RES2, ...RES_TABLES[1]);
    step(
      d,
      `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
       54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
       5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31`,
      RES3,
      ...RES_TABLES[2],
    );
  });
  it('C.6 the same responses with Huffman coding', () => {
    const d = new HpackDecoder(256);
    step(
      d,
      `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
       2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
      RES1,
      ...RES_TABLES[0],
    );
    step(d, '4883 640e ffc1 c0bf', RES2, ...RES_TABLES[1]);
    step(
      d,
      `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
       77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
       9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
      RES3,
      ...RES_TABLES[2],
    );
  });
});

describe('HPACK decoder: dynamic table size', () => {
  it('a size update evicts the oldest entries down to the new limit, and later entries keep to it', () => {
    const d = new HpackDecoder();
    const customKey = '400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65';
    // ':authority' with an empty value (42 octets), then custom-key: custom-value (54).
    step(d, `4100 ${customKey}`, [[':authority', ''], ['custom-key', 'custom-value']], [['custom-key', 'custom-value'], [':authority', '']], 96);
    // Size update to 60 (31 + 29): the oldest entry goes.
    step(d, '3f1d 82', [[':method', 'GET']], [['custom-key', 'custom-value']], 54);
    step(d, 'be', [['custom-key', 'custom-value']], [['custom-key', 'custom-value']], 54);
    assert.throws(() => d.decode(hex('bf')), /index 63 beyond/);
    // A new entry under the 60-octet limit pushes custom-key out.
    step(d, '4100', [[':authority', '']], [[':authority', '']], 42);
    // To 0 (empties the table) and back to 4096 (31 + 0x61 + 0x1f * 128) in one block: two updates are allowed.
    step(d, '20 3fe1 1f 82', [[':method', 'GET']], [], 0);
    assert.throws(() => d.decode(hex('be')), /index 62 beyond/);
  });
  it('an entry larger than the whole table empties it and is not added (RFC 7541 §4.4)', () => {
    const d = new HpackDecoder(64);
    step(d, '4100', [[':authority', '']], [[':authority', '']], 42);
    // 'x' * 40 under :authority is 10 + 40 + 32 = 82 octets > 64.
    step(d, `4128${'78'.repeat(40)}`, [[':authority', 'x'.repeat(40)]], [], 0);
  });
});

// --- Differential test against nghttp2's encoder (node:http2's client) -----

const FRAME_HEADERS = 0x1;
const FRAME_SETTINGS = 0x4;
const FRAME_CONTINUATION = 0x9;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;
const SETTINGS_HEADER_TABLE_SIZE = 0x1;
const PREFACE_LENGTH = 24; // PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n

function settingsFrame(params: Array<[number, number]>, ack = false): Buffer {
  const f = Buffer.alloc(9 + 6 * params.length);
  f.writeUIntBE(6 * params.length, 0, 3);
  f[3] = FRAME_SETTINGS;
  f[4] = ack ? 1 : 0;
  params.forEach(([id, value], i) => {
    f.writeUInt16BE(id, 9 + 6 * i);
    f.writeUInt32BE(value, 11 + 6 * i);
  });
  return f;
}

/**
 * A bare TCP server that plays an HTTP/2 server just far enough for a
 * node:http2 client to send requests: it answers the preface with an empty
 * SETTINGS frame and a SETTINGS ack, then keeps every header block the client
 * sends (HEADERS without padding and priority, CONTINUATIONs joined until
 * END_HEADERS) as raw bytes, in order.
 */
class HeaderBlockRecorder {
  readonly blocks: Buffer[] = [];
  private readonly server = net.createServer((s) => this.accept(s));
  private socket: net.Socket | undefined;
  private pending = Buffer.alloc(0);
  private prefaceSeen = false;
  private fragments: Buffer[] | undefined;
  private waiter: { count: number; resolve: () => void } | undefined;
  private failure: Error | undefined;

  listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as net.AddressInfo).port)));
  }

  /** Sends a frame to the client. */
  send(frame: Buffer): void {
    this.socket!.write(frame);
  }

  /** Resolves once `count` blocks have arrived in all. */
  waitForBlocks(count: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiter = { count, resolve };
      this.check(reject);
    });
  }

  close(): Promise<void> {
    this.socket?.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(s: net.Socket): void {
    this.socket = s;
    s.on('error', () => {});
    s.write(Buffer.concat([settingsFrame([]), settingsFrame([], true)]));
    s.on('data', (chunk: Buffer) => {
      try {
        this.parse(chunk);
      } catch (e) {
        this.failure = e as Error;
      }
      this.check();
    });
  }

  private check(reject?: (e: Error) => void): void {
    if (this.failure) return reject?.(this.failure);
    if (this.waiter && this.blocks.length >= this.waiter.count) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve();
    }
  }

  private parse(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    if (!this.prefaceSeen) {
      if (this.pending.length < PREFACE_LENGTH) return;
      assert.equal(this.pending.toString('latin1', 0, PREFACE_LENGTH), 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
      this.pending = this.pending.subarray(PREFACE_LENGTH);
      this.prefaceSeen = true;
    }
    while (this.pending.length >= 9) {
      const length = this.pending.readUIntBE(0, 3);
      if (this.pending.length < 9 + length) return;
      const type = this.pending[3];
      const flags = this.pending[4];
      const payload = this.pending.subarray(9, 9 + length);
      this.pending = this.pending.subarray(9 + length);
      if (type === FRAME_HEADERS) {
        assert.equal(this.fragments, undefined, 'HEADERS while a header block is open');
        let start = 0;
        let end = payload.length;
        if (flags & FLAG_PADDED) {
          end -= payload[0];
          start = 1;
        }
        if (flags & FLAG_PRIORITY) start += 5;
        this.fragments = [payload.subarray(start, end)];
      } else if (type === FRAME_CONTINUATION) {
        assert.ok(this.fragments, 'CONTINUATION without a header block open');
        this.fragments.push(payload);
      } else {
        assert.equal(this.fragments, undefined, `frame type ${type} inside a header block`);
        continue;
      }
      if (flags & FLAG_END_HEADERS) {
        this.blocks.push(Buffer.concat(this.fragments));
        this.fragments = undefined;
      }
    }
  }
}

interface SentRequest {
  headers: http2.OutgoingHttpHeaders;
  /** The header list as it must come out of the decoder: pseudo-headers, then the rest, each in the order given. */
  expected: string[];
}

/**
 * Random header lists that keep nghttp2's encoder busy: names and values
 * from small alphabets, many repeated (indexed fields), new names each time
 * (the table fills and evicts), long and empty values, fields with several
 * values, never-indexed (sensitive) fields, and a value per request carrying
 * three octets out of 1-255 among frequent letters so every octet but NUL
 * passes through Huffman coding somewhere.
 */
function randomRequests(seed: number, count: number, first: number): SentRequest[] {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const str = (min: number, max: number, alphabet: string): string => {
    let s = '';
    for (let n = min + Math.floor(rand() * (max - min + 1)); n > 0; n--) s += alphabet[Math.floor(rand() * alphabet.length)];
    return s;
  };
  const NAME = 'abcdefghijklmnopqrstuvwxyz0123456789-';
  const VALUE = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_./:;=,%"\u00e9\u00fc\u00ff';
  const NAMES = ['x-a', 'x-bb', 'x-ccc', 'x-tenant', 'content-type', 'user-agent', 'accept', 'cache-control', 'grpc-timeout', 'grpc-encoding', 'authorization', 'etag'];
  const seen: string[] = ['', 'application/grpc', 'gzip', 'trailers'];
  const value = (): string => {
    const r = rand();
    if (r < 0.3) return pick(seen);
    let v: string;
    if (r < 0.4) v = '';
    else if (r < 0.5) v = str(200, 3000, VALUE);
    else v = str(1, 40, VALUE);
    seen.push(v);
    return v;
  };
  const out: SentRequest[] = [];
  for (let i = first; i < first + count; i++) {
    const pseudo: Array<[string, string]> = [
      [':method', pick(['GET', 'POST', 'PUT', 'DELETE'])],
      [':scheme', pick(['http', 'https'])],
      [':authority', pick(['127.0.0.1', 'collector.example:4317', 'localhost'])],
      [':path', pick(['/', '/index.html', '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export', `/${str(0, 60, VALUE.slice(0, 62) + '/')}`])],
    ];
    for (let j = pseudo.length - 1; j > 0; j--) {
      const k = Math.floor(rand() * (j + 1));
      [pseudo[j], pseudo[k]] = [pseudo[k], pseudo[j]];
    }
    const headers: http2.OutgoingHttpHeaders = {};
    const expected: string[] = [];
    for (const [n, v] of pseudo) {
      headers[n] = v;
      expected.push(n, v);
    }
    // 1-255: node:http2 joins a request's headers with NUL between them, so a NUL in a value does not arrive as sent.
    const octets = [0, 1, 2].map((k) => String.fromCharCode(1 + ((3 * i + k) % 255))).join('');
    const regular: Array<[string, string | string[]]> = [['x-octets', `${'e'.repeat(20)}${octets}${'t'.repeat(20)}`]];
    for (let n = Math.floor(rand() * 10); n > 0; n--) {
      const name = rand() < 0.6 ? pick(NAMES) : `x-${str(1, 12, NAME)}`;
      if (regular.some(([m]) => m === name)) continue;
      regular.push([name, name.startsWith('x-') && rand() < 0.15 ? [value(), value(), value()] : value()]);
    }
    if (i % 50 === 7) regular.push(['x-huge', str(20_000, 20_000, VALUE)]); // over 16 KiB: HEADERS + CONTINUATION
    for (const [n, v] of regular) {
      headers[n] = v;
      for (const one of Array.isArray(v) ? v : [v]) expected.push(n, one);
    }
    if (rand() < 0.15) (headers as Record<symbol, string[]>)[http2.sensitiveHeaders] = regular.filter(() => rand() < 0.5).map(([n]) => n);
    out.push({ headers, expected });
  }
  return out;
}

describe('HPACK decoder: against node:http2\'s encoder (nghttp2: Huffman coding, dynamic table, size updates)', () => {
  it('decodes 200 random requests on one connection to exactly the header lists sent', { timeout: 15_000 }, async () => {
    const recorder = new HeaderBlockRecorder();
    const port = await recorder.listen();
    const client = http2.connect(`http://127.0.0.1:${port}`, {
      maxSendHeaderBlockLength: 256 * 1024,
      paddingStrategy: http2.constants.PADDING_STRATEGY_MAX,
    });
    client.on('error', () => {});
    let settingsSeen = 0;
    const remoteSettings = (n: number): Promise<void> =>
      new Promise((resolve) => {
        const target = settingsSeen + n;
        const on = (): void => {
          if (++settingsSeen < target) return;
          client.off('remoteSettings', on);
          resolve();
        };
        client.on('remoteSettings', on);
      });
    const send = (requests: SentRequest[]): void => {
      for (const r of requests) client.request(r.headers, { endStream: true }).on('error', () => {});
    };
    try {
      const firstSettings = remoteSettings(1);
      // 1: the default 4096-octet table.
      const phase1 = randomRequests(0x4ac4, 100, 0);
      await firstSettings;
      send(phase1);
      await recorder.waitForBlocks(100);
      // 2: the table shrinks to 256 octets: the next block starts with a size update and entries are evicted.
      let settings = remoteSettings(1);
      recorder.send(settingsFrame([[SETTINGS_HEADER_TABLE_SIZE, 256]]));
      await settings;
      const phase2 = randomRequests(0x4ac5, 50, 100);
      send(phase2);
      await recorder.waitForBlocks(150);
      // 3: to 0 and then 1024 before the next block: two size updates in it.
      settings = remoteSettings(2);
      recorder.send(Buffer.concat([settingsFrame([[SETTINGS_HEADER_TABLE_SIZE, 0]]), settingsFrame([[SETTINGS_HEADER_TABLE_SIZE, 1024]])]));
      await settings;
      const phase3 = randomRequests(0x4ac6, 50, 150);
      send(phase3);
      await recorder.waitForBlocks(200);

      const sent = [...phase1, ...phase2, ...phase3];
      assert.equal(recorder.blocks.length, sent.length);
      assert.deepEqual(recorder.blocks[100].subarray(0, 3), hex('3fe101'), 'size update to 256 (31 + 225)');
      assert.deepEqual(recorder.blocks[150].subarray(0, 4), hex('20 3fe107'), 'size updates to 0, then 1024 (31 + 993)');
      const d = new HpackDecoder();
      let evictedTo256 = false;
      recorder.blocks.forEach((block, i) => {
        assert.deepEqual(d.decode(block), { fields: sent[i].expected, tooLarge: false }, `request ${i}`);
        if (i >= 100 && i < 150) {
          assert.ok(d.tableSize() <= 256);
          evictedTo256 ||= d.tableEntries().length > 0;
        }
      });
      assert.ok(evictedTo256, 'the 256-octet table held entries');
      assert.ok(recorder.blocks.some((b) => b.length > 16_384), 'a block spanned HEADERS and CONTINUATION');
    } finally {
      client.destroy();
      await recorder.close();
    }
  });
});

describe('HPACK decoder: encoding errors are HpackError (COMPRESSION_ERROR)', () => {
  // [what, block, the error it must be]: each hand-built, with a near miss that decodes where one helps show the line.
  const cases: Array<[string, string, RegExp]> = [
    ['index 0', '80', /index 0/],
    ['an index one past the static table while the dynamic table is empty', 'be', /index 62 beyond/],
    ['a literal whose name index is past both tables', '7e 00', /index 62 beyond/],
    ['a never-indexed literal whose name index is past both tables', '1f 2f 00', /index 62 beyond/],
    ['an index of 2^31 (127 + 0x7fffff81)', 'ff 81ff ffff 07', /integer above 2\^31 - 1/],
    ['a string length of 2^31', '40 7f 81ff ffff 07', /integer above 2\^31 - 1/],
    ['an integer with six continuation octets', 'ff 8080 8080 8000', /integer longer than 5 continuation octets/],
    ['an integer whose prefix is full and the block ends', 'ff', /integer runs past the end/],
    ['an integer whose continuation octet says more follow and the block ends', 'ff 80', /integer runs past the end/],
    ['a name string longer than the rest of the block', '40 05 61', /string of 5 octets runs past the end/],
    ['a value string of 2^31 - 1 octets (the largest integer)', '40 0161 7f 80ff ffff 07', /string of 2147483647 octets runs past the end/],
    ['a Huffman string with 11 bits of padding', '40 0161 82 1fff', /padding longer than 7 bits or not all ones/],
    ['a Huffman string that is 8 bits of padding alone', '40 0161 81 ff', /padding longer than 7 bits or not all ones/],
    ['a Huffman string whose padding is not all ones', '40 0161 81 18', /padding longer than 7 bits or not all ones/],
    ['a Huffman string holding EOS (30 ones)', '40 0161 84 ffff ffff', /EOS symbol/],
    ['a size update to 4097, above the 4096 advertised', '3f e21f', /size update to 4097, above the 4096/],
    ['a size update after the first field', '82 20', /size update after the first header field/],
    ['a size update between two fields', '20 82 20 82', /size update after the first header field/],
    ['three size updates', '20 20 20 82', /more than two dynamic table size updates/],
    ['a literal with its name and no value', '40 0161', /block ends before a string literal/],
    ['a literal with an indexed name and no value', '04', /block ends before a string literal/],
    ['a literal with nothing after its first octet', '00', /block ends before a string literal/],
  ];
  for (const [what, block, error] of cases) {
    it(`rejects ${what}`, () => {
      assert.throws(
        () => new HpackDecoder().decode(hex(block)),
        (e: unknown) => e instanceof HpackError && error.test(e.message),
      );
    });
  }

  it('accepts the near misses: a size update to exactly 4096, two updates, 7 bits of padding, an index of 2^31 - 1 read whole', () => {
    assert.deepEqual(new HpackDecoder().decode(hex('3f e11f 82')).fields, [':method', 'GET']);
    assert.deepEqual(new HpackDecoder().decode(hex('20 3fe11f 82')).fields, [':method', 'GET']);
    // "00000": five 5-bit codes of zeros (25 bits), then 7 ones.
    assert.deepEqual(new HpackDecoder().decode(hex('40 0161 84 0000007f')).fields, ['a', '00000']);
    // 'a' (00011) and 3 ones; NUL (13 bits, 0x1ff8) and 3 ones.
    assert.deepEqual(new HpackDecoder().decode(hex('40 0161 81 1f')).fields, ['a', 'a']);
    assert.deepEqual(new HpackDecoder().decode(hex('40 0161 82 ffc7')).fields, ['a', '\0']);
    assert.throws(() => new HpackDecoder().decode(hex('ff 80ff ffff 07')), /index 2147483647 beyond/);
  });

  it('takes the block as any Uint8Array view, not only a Buffer', () => {
    const bytes = new Uint8Array([0xff, 0xff, 0x82, 0x86, 0x00]);
    assert.deepEqual(new HpackDecoder().decode(bytes.subarray(2, 4)).fields, [':method', 'GET', ':scheme', 'http']);
  });
});

describe('HPACK decoder: header lists over SETTINGS_MAX_HEADER_LIST_SIZE', () => {
  it('flags the list, keeps the fields decoded before the limit, and still updates the dynamic table with the whole block', () => {
    const d = new HpackDecoder(4096, 100);
    const xa = `40 0378 2d61 1e${'41'.repeat(30)}`; // x-a: 'A' * 30, 3 + 30 + 32 = 65 octets
    const xb = `40 0378 2d62 0a${'42'.repeat(10)}`; // x-b: 'B' * 10, 45 octets
    // :method GET (42) fits, x-a takes the list to 107 > 100, x-b comes after the limit.
    assert.deepEqual(d.decode(hex(`82 ${xa} ${xb}`)), { fields: [':method', 'GET'], tooLarge: true });
    assert.deepEqual(d.tableEntries(), [['x-b', 'B'.repeat(10)], ['x-a', 'A'.repeat(30)]]);
    assert.equal(d.tableSize(), 110);
    // The next blocks refer to both entries, the one that passed the limit and the one after it.
    assert.deepEqual(d.decode(hex('bf')), { fields: ['x-a', 'A'.repeat(30)], tooLarge: false });
    assert.deepEqual(d.decode(hex('be')), { fields: ['x-b', 'B'.repeat(10)], tooLarge: false });
    // The limit itself is allowed: x-b twice is 90 octets.
    assert.deepEqual(new HpackDecoder(4096, 90).decode(hex(`${xb} be`)), { fields: ['x-b', 'B'.repeat(10), 'x-b', 'B'.repeat(10)], tooLarge: false });
    assert.deepEqual(new HpackDecoder(4096, 89).decode(hex(`${xb} be`)), { fields: ['x-b', 'B'.repeat(10)], tooLarge: true });
  });
});

describe('HPACK encoder', () => {
  it('encodes what the decoder reads back as the same fields, with no dynamic table on either side', () => {
    const fields: Field[] = [
      [':status', '200'],
      [':status', '201'],
      ['content-type', 'application/grpc'],
      ['accept-encoding', 'gzip, deflate'],
      ['grpc-status', '0'],
      ['grpc-message', 'latin1 octets: \u00fcber \u00ff\u0000\u007f\u0080'],
      ['x-long', 'v'.repeat(300)],
      ['x'.repeat(200), ''],
      ['', 'empty name'],
      ['www-authenticate', ''],
    ];
    const block = new HpackEncoder().encode(fields);
    const d = new HpackDecoder();
    assert.deepEqual(d.decode(block), { fields: flat(fields), tooLarge: false });
    assert.deepEqual(d.tableEntries(), []);
  });

  it('writes an exact static match as one octet and the two literal forms without indexing', () => {
    const enc = new HpackEncoder();
    assert.deepEqual(enc.encode([[':status', '200']]), hex('88'));
    assert.deepEqual(enc.encode([['www-authenticate', '']]), hex('bd'));
    // content-type is static index 31: 4-bit prefix full (15), then 16; the value is 16 octets, no Huffman.
    assert.deepEqual(enc.encode([['content-type', 'application/grpc']]), Buffer.concat([hex('0f 10 10'), Buffer.from('application/grpc')]));
    assert.deepEqual(enc.encode([['grpc-status', '0']]), Buffer.concat([hex('00 0b'), Buffer.from('grpc-status'), hex('01'), Buffer.from('0')]));
    assert.deepEqual(enc.encode([]), Buffer.alloc(0));
  });
});
