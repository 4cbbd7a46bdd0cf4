/**
 * The raw HTTP/2 test client itself: its HPACK decoder against RFC 7541's
 * own examples and against what nghttp2 (node:http2's client) encodes, and
 * its checks of a server's frames against a scripted fake server, so that a
 * conformance test passing means the server passed, not that the client
 * looked away.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import {
  encodeFields,
  encodeFrame,
  encodeInteger,
  ErrorCode,
  Flag,
  frame,
  FrameType,
  HpackDecoder,
  HpackError,
  huffmanDecode,
  huffmanEncode,
  PREFACE,
  RawH2Client,
  Setting,
  type HeaderField,
} from './h2-raw';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('h2-raw: HPACK (RFC 7541)', () => {
  it('encodes integers as in C.1', () => {
    assert.deepEqual(encodeInteger(10, 5), hex('0a'));
    assert.deepEqual(encodeInteger(1337, 5), hex('1f9a0a'));
    assert.deepEqual(encodeInteger(42, 8), hex('2a'));
  });

  const requests: HeaderField[][] = [
    [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']],
    [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache']],
    [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']],
  ];
  const responses: HeaderField[][] = [
    [[':status', '302'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'], ['location', 'https://www.example.com']],
    [[':status', '307'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'], ['location', 'https://www.example.com']],
    [
      [':status', '200'],
      ['cache-control', 'private'],
      ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'],
      ['location', 'https://www.example.com'],
      ['content-encoding', 'gzip'],
      ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
    ],
  ];
  const examples: [string, number, string[], HeaderField[][], number[]][] = [
    [
      'C.3 requests without Huffman',
      4096,
      [
        '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
        '8286 84be 5808 6e6f 2d63 6163 6865',
        '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65',
      ],
      requests,
      [57, 110, 164],
    ],
    [
      'C.4 requests with Huffman',
      4096,
      ['8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', '8286 84be 5886 a8eb 1064 9cbf', '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'],
      requests,
      [57, 110, 164],
    ],
    [
      'C.5 responses without Huffman, entries evicted',
      256,
      [
        '4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
        '4803 3330 37c1 c0bf',
        '88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31',
      ],
      responses,
      [222, 222, 215],
    ],
    [
      'C.6 responses with Huffman, entries evicted',
      256,
      [
        '4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3',
        '4883 640e ffc1 c0bf',
        '88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
      ],
      responses,
      [222, 222, 215],
    ],
  ];
  for (const [what, tableSize, blocks, expected, sizes] of examples) {
    it(`decodes the examples of ${what}, keeping the dynamic table's size`, () => {
      const decoder = new HpackDecoder(tableSize);
      blocks.forEach((block, i) => {
        assert.deepEqual(decoder.decode(hex(block)), expected[i], `block ${i + 1}`);
        assert.equal(decoder.tableSize, sizes[i], `table size after block ${i + 1}`);
      });
    });
  }

  it('Huffman-decodes every octet, and refuses EOS and bad padding (§5.2)', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    assert.deepEqual(huffmanDecode(huffmanEncode(all)), all);
    assert.deepEqual(huffmanDecode(hex('07')), Buffer.from('0'), "'0' (00000) and three bits of padding");
    assert.throws(() => huffmanDecode(hex('00')), HpackError, 'padding of zeros');
    assert.throws(() => huffmanDecode(hex('07 ff')), HpackError, 'eight bits of padding');
    assert.throws(() => huffmanDecode(hex('ff ff ff ff')), HpackError, 'EOS');
  });

  it('decodes its own literal encoding, upper-case names and all', () => {
    const fields: HeaderField[] = [
      [':path', '/a'],
      ['X-Upper', 'v'],
      ['long', 'x'.repeat(300)],
      ['empty', ''],
    ];
    const decoder = new HpackDecoder();
    assert.deepEqual(decoder.decode(encodeFields(fields)), fields);
    assert.equal(decoder.tableSize, 0, 'literals without indexing leave the table alone');
  });

  it('refuses what is not valid HPACK', () => {
    for (const bad of ['80', 'ff49', '0005 61', '3fe21f', '82 20']) assert.throws(() => new HpackDecoder().decode(hex(bad)), HpackError, bad);
  });

  it('decodes what nghttp2 (node:http2) encodes: Huffman, indexed and never-indexed fields, across requests', async () => {
    const blocks: Buffer[] = [];
    const capture = net.createServer((socket) => {
      let buffered = Buffer.alloc(0);
      let prefaceSeen = false;
      socket.write(Buffer.concat([frame.settings(), frame.settingsAck()]));
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (!prefaceSeen) {
          if (buffered.length < PREFACE.length) return;
          buffered = buffered.subarray(PREFACE.length);
          prefaceSeen = true;
        }
        while (buffered.length >= 9 && buffered.length >= 9 + buffered.readUIntBE(0, 3)) {
          const length = buffered.readUIntBE(0, 3);
          // node:http2 sends each request's header block in one HEADERS frame here.
          if (buffered[3] === FrameType.HEADERS) blocks.push(Buffer.from(buffered.subarray(9, 9 + length)));
          buffered = buffered.subarray(9 + length);
        }
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
    const { port } = capture.address() as net.AddressInfo;
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => {});
    const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('').trim();
    const sent: Record<string, string | string[]>[] = [
      // authorization goes as a never-indexed literal (RFC 7541 §6.2.3)
      { ':method': 'POST', ':path': '/a.B/C', 'content-type': 'application/grpc', 'x-text': printable, authorization: 'secret' },
      { ':method': 'POST', ':path': '/a.B/C', 'content-type': 'application/grpc', 'x-text': printable, 'x-two': ['1', '2'] },
      { ':method': 'GET', ':path': '/', 'accept-encoding': 'gzip, deflate' },
    ];
    try {
      for (const headers of sent) session.request(Object.assign({ [http2.sensitiveHeaders]: ['authorization'] }, headers), { endStream: true }).on('error', () => {});
      const deadline = Date.now() + 5000;
      while (blocks.length < sent.length && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
      assert.equal(blocks.length, sent.length, 'every request reached the capture');
      const decoder = new HpackDecoder();
      blocks.forEach((block, i) => {
        const fields = decoder.decode(block);
        for (const [name, value] of Object.entries(sent[i])) {
          const values = Array.isArray(value) ? value : [value];
          assert.deepEqual(fields.filter(([n]) => n === name).map(([, v]) => v), values, `request ${i + 1}: ${name}`);
        }
      });
      assert.ok(decoder.tableSize > 0, 'nghttp2 used the dynamic table');
    } finally {
      session.destroy();
      capture.close();
    }
  });
});

describe('h2-raw: what a server must not send is noticed', () => {
  const servers: net.Server[] = [];
  after(() => servers.forEach((s) => s.close()));

  /**
   * A fake server writing `script` (after its SETTINGS) once the client's
   * stream 1 is open, then a PING; the client's violations once that PING
   * has arrived.
   */
  async function violationsOf(script: Buffer[], options: { settings?: [number, number][] } = {}): Promise<string[]> {
    const server = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.write(frame.settings());
      let seen = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        seen = Buffer.concat([seen, chunk]);
        if (seen.includes(Buffer.from('open-stream-1'))) {
          seen = Buffer.alloc(0);
          socket.write(Buffer.concat([...script, frame.ping(Buffer.from('the end'))]));
        }
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const c = await RawH2Client.connect((server.address() as net.AddressInfo).port, '127.0.0.1', { settings: options.settings });
    try {
      c.send(frame.headers(1, encodeFields([['x-marker', 'open-stream-1']])));
      await c.waitForFrame((f) => f.type === FrameType.PING && f.payload.equals(Buffer.from('the end')), 5000, 'the end of the script');
      return c.violations;
    } finally {
      c.destroy();
    }
  }

  const response = encodeFields([[':status', '200']]);
  const cases: [string, Buffer[], RegExp, [number, number][]?][] = [
    ['a frame above SETTINGS_MAX_FRAME_SIZE', [frame.data(1, Buffer.alloc(16_385))], /above SETTINGS_MAX_FRAME_SIZE/],
    ['DATA beyond the stream window', [frame.headers(1, response), frame.data(1, Buffer.alloc(11))], /beyond the window of stream 1/, [[Setting.INITIAL_WINDOW_SIZE, 10]]],
    [
      'DATA beyond the connection window',
      [frame.headers(1, response), ...Array.from({ length: 4 }, () => frame.data(1, Buffer.alloc(16_384)))],
      /beyond the connection window/,
      [[Setting.INITIAL_WINDOW_SIZE, 1 << 20]],
    ],
    ['HEADERS after END_STREAM', [frame.headers(1, response, { endStream: true }), frame.headers(1, response)], /after the server ended it/],
    ['DATA after RST_STREAM', [frame.rstStream(1, ErrorCode.CANCEL), frame.data(1, Buffer.from('x'))], /after the server reset it/],
    ['a PING inside a header block', [frame.headers(1, response, { endHeaders: false }), frame.ping(Buffer.alloc(8)), frame.continuation(1, Buffer.alloc(0))], /inside a header block/],
    ['CONTINUATION with no header block', [frame.continuation(1, response)], /without a header block/],
    ['a header block that is not HPACK', [frame.headers(1, hex('80'))], /not valid HPACK/],
    ['a frame on a stream the client never opened', [frame.headers(3, response)], /never opened/],
    ['PUSH_PROMISE after SETTINGS_ENABLE_PUSH 0', [frame.pushPromise(1, 2, response)], /PUSH_PROMISE/, [[Setting.ENABLE_PUSH, 0]]],
  ];
  for (const [what, script, expected, settings] of cases) {
    it(`notices ${what}`, async () => {
      const violations = await violationsOf(script, { settings });
      assert.ok(violations.some((v) => expected.test(v)), `expected ${expected}; got ${JSON.stringify(violations)}`);
    });
  }

  it('finds nothing wrong with a proper response, and what may follow the end of a stream', async () => {
    const violations = await violationsOf([
      frame.headers(1, response),
      frame.data(1, Buffer.from('hello'), { padLength: 3 }),
      frame.headers(1, encodeFields([['grpc-status', '0']]), { endStream: true }),
      frame.windowUpdate(1, 100),
      frame.rstStream(1, ErrorCode.NO_ERROR),
      frame.priority(1, { dependency: 0, weight: 1 }),
      encodeFrame(0xfa, 0, 0, Buffer.from('extension')),
    ]);
    assert.deepEqual(violations, []);
  });
});

describe('h2-raw: sendData keeps within the windows the server advertised', () => {
  it('sends what the stream window allows, then waits for WINDOW_UPDATE', async () => {
    let received = 0;
    let socket: net.Socket | undefined;
    const server = net.createServer((s) => {
      socket = s;
      s.on('error', () => {});
      s.write(frame.settings([[Setting.INITIAL_WINDOW_SIZE, 10]]));
      let buffered = Buffer.alloc(0);
      let prefaceSeen = false;
      s.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (!prefaceSeen && buffered.length >= PREFACE.length) {
          buffered = buffered.subarray(PREFACE.length);
          prefaceSeen = true;
        }
        while (prefaceSeen && buffered.length >= 9 && buffered.length >= 9 + buffered.readUIntBE(0, 3)) {
          const length = buffered.readUIntBE(0, 3);
          if (buffered[3] === FrameType.DATA) received += length;
          buffered = buffered.subarray(9 + length);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const c = await RawH2Client.connect((server.address() as net.AddressInfo).port);
    try {
      await c.waitForFrame((f) => f.type === FrameType.SETTINGS && !(f.flags & Flag.ACK), 5000, 'SETTINGS');
      c.send(frame.headers(1, encodeFields([[':path', '/']])));
      let done = false;
      const sending = c.sendData(1, Buffer.alloc(25), { endStream: true }).then(() => (done = true));
      const until = async (check: () => boolean) => {
        const deadline = Date.now() + 5000;
        while (!check() && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
        assert.ok(check());
      };
      await until(() => received === 10);
      assert.equal(done, false, 'waits for credit');
      socket!.write(frame.windowUpdate(1, 15));
      await sending;
      await until(() => received === 25);
    } finally {
      c.destroy();
      server.close();
    }
  });
});
