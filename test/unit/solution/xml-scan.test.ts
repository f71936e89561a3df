import assert from 'node:assert/strict';
import { rawContent, rawElement, scanXml, scannedAttr, scannedChild, scannedText } from '../../../shared/solution/xml-scan';

describe('streaming XML scan (pack)', () => {
  it('refuses XXE and billion-laughs documents without expanding anything', () => {
    const xxe = `<?xml version="1.0"?>\n<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<Entity><a>&xxe;</a></Entity>`;
    assert.throws(() => scanXml(xxe, 'Entities/x/Entity.xml'), /Entities\/x\/Entity\.xml contains a DTD.*refused/);
    const lol = `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>`;
    assert.throws(() => scanXml(lol, 'f.xml'), /contains a DTD/);
  });

  it('reports malformed XML with the file, line and column', () => {
    assert.throws(() => scanXml('<a>\n<b></a>', 'Roles/r.xml'), /Roles\/r\.xml is not well-formed XML: .*\(line 2, column \d+\)/);
    assert.throws(() => scanXml('<a x="1" x="2"/>', 'dup.xml'), /dup\.xml is not well-formed XML/);
    assert.throws(() => scanXml('<a/><b/>', 'two.xml'), /two\.xml is not well-formed XML/);
    assert.throws(() => scanXml('', 'empty.xml'), /empty\.xml is not well-formed XML/);
    assert.throws(() => scanXml('<a x=1/>', 'attr.xml'), /attr\.xml is not well-formed XML/);
  });

  it('records offsets that slice the original text exactly, also after a BOM and astral characters', () => {
    const src = '\uFEFF<?xml version="1.0" encoding="utf-8"?>\r\n<r xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" a=\'x "y"\'>\r\n  <n>😀 &amp; <![CDATA[<raw>]]></n>\r\n  <e />\r\n  <deep><x><y>1</y></x></deep>\r\n</r>';
    const doc = scanXml(src, 'r.xml');
    assert.equal(doc.text, src.slice(1));
    assert.equal(doc.root.name, 'r');
    assert.deepEqual(doc.root.attrs, [['xmlns:xsi', 'http://www.w3.org/2001/XMLSchema-instance'], ['a', 'x "y"']]);
    assert.deepEqual(doc.root.children.map((c) => rawElement(doc, c)), ['<n>😀 &amp; <![CDATA[<raw>]]></n>', '<e />', '<deep><x><y>1</y></x></deep>']);
    const [n, e, deep] = doc.root.children;
    assert.equal(rawContent(doc, n), '😀 &amp; <![CDATA[<raw>]]>');
    assert.equal(scannedText(doc, n), '😀 & <raw>');
    assert.equal(rawContent(doc, e), '');
    assert.equal(e.contentStart, e.end);
    assert.equal(rawElement(doc, doc.root), doc.text.slice(doc.text.indexOf('<r ')));
    // Depth 2 by default: <x> is recorded, <y> is not.
    assert.equal(deep.children[0].name, 'x');
    assert.deepEqual(deep.children[0].children, []);
  });

  it('keeps raw attribute values as written and decodes them on request', () => {
    const doc = scanXml('<a v="1 &lt; 2 &#x41;" w=\'&quot;\' Name="cnt_a&amp;b"/>', 'a.xml');
    assert.deepEqual(doc.root.attrs, [['v', '1 &lt; 2 &#x41;'], ['w', '&quot;'], ['Name', 'cnt_a&amp;b']]);
    assert.equal(scannedAttr(doc.root, 'name'), 'cnt_a&b');
    assert.equal(scannedAttr(doc.root, 'missing'), undefined);
  });

  it('refuses undeclared entity references (Dataverse would refuse them at import), saying how to write them', () => {
    assert.throws(() => scanXml('<a>x&nbsp;y</a>', 'Roles/r.xml'), (err: Error & { hint?: string }) =>
      /Roles\/r\.xml is not well-formed XML: undefined entity \(line 1, column \d+\)/.test(err.message) && /&#160;/.test(err.hint ?? ''));
    assert.throws(() => scanXml('<a>&#x1F;</a>', 'c.xml'), /c\.xml is not well-formed XML/);
  });

  it('finds children ignoring case and drops comments from text', () => {
    const doc = scanXml('<wr><FileName>/WebResources/a&#38;b</FileName><Name><!-- c -->cnt_/x.js</Name></wr>', 'wr.xml');
    assert.equal(scannedText(doc, scannedChild(doc.root, 'filename')), '/WebResources/a&b');
    assert.equal(scannedText(doc, scannedChild(doc.root, 'NAME')), 'cnt_/x.js');
    assert.equal(scannedText(doc, scannedChild(doc.root, 'Nothing')), '');
  });

  it('records nothing below the requested depth but still checks it', () => {
    assert.deepEqual(scanXml('<a><b><c/></b></a>', 'a.xml', 0).root.children, []);
    assert.throws(() => scanXml('<a><b><c></b></a>', 'a.xml', 0), /not well-formed/);
  });
});
