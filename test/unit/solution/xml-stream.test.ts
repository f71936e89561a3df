import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { streamXml, XmlStreamVisitor } from '../../../shared/solution/xml-stream';
import { writeXml, XmlElement } from '../../../shared/solution/xml';

/** A stream of `text` in UTF-8 chunks of `size` bytes (so multi-byte characters and tags are cut in two). */
function chunked(text: string, size: number): Readable {
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks);
}

async function collect(text: string, size: number, descend: string[]): Promise<string[]> {
  const seen: string[] = [];
  const visitor: XmlStreamVisitor = {
    root: (el) => { seen.push(`root ${el.name} ${JSON.stringify(el.attrs)}`); },
    descend: (el) => descend.includes(el.name),
    enter: (el) => { seen.push(`enter ${el.name} ${JSON.stringify(el.attrs)}`); },
    element: (el: XmlElement, parent) => { seen.push(`${parent ? `${parent.name}/` : ''}${writeXml(el, { declaration: false }).replace(/\n\s*/g, '')}`); },
    leave: (el) => { seen.push(`leave ${el.name}`); },
  };
  await streamXml(chunked(text, size), 'customizations.xml', visitor);
  return seen;
}

const DOC = '\uFEFF<?xml version="1.0" encoding="utf-8"?>\r\n<ImportExportXml xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" v=\'a "q"\'>\r\n' +
  '  <Entities>\r\n    <Entity><Name>cnt_Ünïcødé😀</Name><Desc>1 &lt; 2 &#xD;&#xA;&amp; &#160;</Desc></Entity>\r\n    <!-- c -->\r\n    <Entity><Name>b</Name></Entity>\r\n  </Entities>\r\n' +
  '  <Roles />\r\n  <Languages><Language>1033</Language></Languages>\r\n</ImportExportXml>';

describe('streaming a large XML document component by component', () => {
  it('hands over components in document order with their values exactly as written, whatever the chunk size', async () => {
    const expected = [
      'root ImportExportXml [["xmlns:xsi","http://www.w3.org/2001/XMLSchema-instance"],["v","a &quot;q&quot;"]]',
      'enter Entities []',
      'Entities/<Entity><Name>cnt_Ünïcødé😀</Name><Desc>1 &lt; 2 &#xD;&#xA;&amp; &#160;</Desc></Entity>',
      'Entities/<Entity><Name>b</Name></Entity>',
      'leave Entities',
      'enter Roles []',
      'leave Roles',
      '<Languages><Language>1033</Language></Languages>',
    ];
    for (const size of [1, 2, 3, 7, 64, 1 << 20]) {
      const seen = await collect(DOC, size, ['Entities', 'Roles']);
      // The attribute keeps its raw form (single quotes are rewritten as &quot; only when written back).
      seen[0] = seen[0].replace('a \\"q\\"', 'a &quot;q&quot;');
      assert.deepEqual(seen, expected, `chunks of ${size} bytes`);
    }
  });

  it('refuses a DTD even when it is cut across chunks, and names the document in errors with line and column', async () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r><a>&x;</a></r>';
    for (const size of [1, 5, 1000]) await assert.rejects(collect(xxe, size, []), /customizations\.xml contains a DTD/);
    await assert.rejects(collect('<r>\n<a><b></a></r>', 4, ['a']), /customizations\.xml is not well-formed XML: .*line 2/);
    await assert.rejects(collect('<r><a>', 4, []), /customizations\.xml is not well-formed XML/);
    await assert.rejects(collect('', 4, []), /customizations\.xml is not well-formed XML/);
    await assert.rejects(collect('<r><a>&nbsp;</a></r>', 4, []), (err: Error & { hint?: string }) =>
      /customizations\.xml is not well-formed XML: undefined entity \(line 1, column \d+\)/.test(err.message) && /&#160;/.test(err.hint ?? ''));
  });

  it("reports an error the component reader finds at the component's line in the document", async () => {
    // An attribute name saxes (XML 1.0 5th edition) accepts and the tree reader refuses.
    const doc = '<ImportExportXml>\n  <Roles>\n    <Role name="a" />\n    <Role name="b" 😀="1" />\n  </Roles>\n</ImportExportXml>';
    await assert.rejects(collect(doc, 8, ['Roles']), /^UserError: customizations\.xml is not well-formed XML: .*😀.* \(line 4, column \d+\)/);
    const multiLine = '<ImportExportXml>\n  <Roles>\n    <Role\n      name="b">\n      <x 😀="1" />\n    </Role>\n  </Roles>\n</ImportExportXml>';
    await assert.rejects(collect(multiLine, 8, ['Roles']), /customizations\.xml is not well-formed XML: .*😀.* \(line 5, column \d+\)/);
  });

  it('keeps the root and section attributes it hands over as copies, with line breaks normalised', async () => {
    const seen = await collect('<r z="a\r\nb" y=\'c\rd\'><s k="v"/></r>', 3, ['s']);
    assert.equal(seen[0], 'root r [["z","a\\nb"],["y","c\\nd"]]');
    assert.equal(seen[1], 'enter s [["k","v"]]');
  });

  it('passes comments between the root children on, not those inside components', async () => {
    const seen: string[] = [];
    await streamXml(chunked('<r><!-- one --><s><!-- inner --><c/></s><!--two--></r>', 5), 'c.xml', {
      descend: () => true, root: () => undefined, enter: () => undefined, element: () => undefined, leave: () => undefined,
      comment: (text) => { seen.push(text); },
    });
    assert.deepEqual(seen, [' one ', 'two']);
  });

  it('stops reading the source when a component is malformed', async () => {
    const source = Readable.from((function* () { yield Buffer.from('<r><a><b x="1" x="2"/></a>'); yield Buffer.from('<a/>'.repeat(10)); })());
    const visitor: XmlStreamVisitor = { descend: () => false, root: () => undefined, enter: () => undefined, element: () => undefined, leave: () => undefined };
    await assert.rejects(streamXml(source, 'c.xml', visitor), /c\.xml is not well-formed XML/);
    assert.ok(source.destroyed);
  });
});
