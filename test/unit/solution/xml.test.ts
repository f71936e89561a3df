import assert from 'node:assert/strict';
import { attr, child, decodeXml, parseXml, textOf, writeXml } from '../../../shared/solution/xml';
import { xmlDifference, xmlEqual, ZIP_UNORDERED_COLLECTIONS } from '../../fixtures/solution/xml-compare';

describe('solution XML handling', () => {
  it('refuses an XXE document without reading the external entity', () => {
    const xxe = `<?xml version="1.0"?>\n<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<ImportExportXml><a>&xxe;</a></ImportExportXml>`;
    assert.throws(() => parseXml(xxe, 'customizations.xml'), /customizations\.xml contains a DTD.*refused/);
  });

  it('refuses a billion-laughs document without expanding it', () => {
    const lol = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
      `<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>`;
    assert.throws(() => parseXml(lol, 'solution.xml'), /contains a DTD/);
  });

  it('keeps undeclared entity references inert (never expanded)', () => {
    const root = parseXml('<a><b>&custom;</b></a>', 'x.xml');
    assert.equal((child(root, 'b')?.children[0] as { text: string }).text, '&custom;');
    assert.equal(writeXml(root, { declaration: false }), '<a>\n  <b>&custom;</b>\n</a>');
  });

  it('refuses prototype-polluting names and absurd nesting with a clear error', () => {
    assert.throws(() => parseXml('<a><__proto__><x/></__proto__></a>', 'evil.xml'), /evil\.xml was refused: .*__proto__/);
    assert.throws(() => parseXml('<a __proto__="x" />', 'evil.xml'), /evil\.xml was refused: .*__proto__/);
    assert.throws(() => parseXml(`${'<a>'.repeat(200)}${'</a>'.repeat(200)}`, 'deep.xml'), /deep\.xml was refused: .*nested/i);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });

  it('keeps names that are Object.prototype members (PCF manifests use constructor="…") without polluting anything', () => {
    const src = '<manifest><control namespace="PowerCAT" constructor="Panel" toString="t" __toString="u"><constructor>c</constructor><valueOf/></control></manifest>';
    const control = child(parseXml(src, 'ControlManifest.xml'), 'control');
    assert.ok(control);
    assert.equal(attr(control, 'constructor'), 'Panel');
    assert.deepEqual(control.attrs.map(([k]) => k), ['namespace', 'constructor', 'toString', '__toString']);
    assert.equal(textOf(child(control, 'constructor')), 'c');
    assert.equal(writeXml(parseXml(src, 'ControlManifest.xml'), { declaration: false }),
      '<manifest>\n  <control namespace="PowerCAT" constructor="Panel" toString="t" __toString="u">\n    <constructor>c</constructor>\n    <valueOf />\n  </control>\n</manifest>');
    assert.equal(({} as Record<string, unknown>).constructor, Object, 'Object.prototype is untouched');
    assert.equal(String({}), '[object Object]');
  });

  it('reports malformed XML with line and column', () => {
    assert.throws(() => parseXml('<a><b></a>', 'Other/Solution.xml'), /Other\/Solution\.xml is not well-formed XML: .*line 1/);
    assert.throws(() => parseXml('', 'empty.xml'), /empty\.xml/);
  });

  it('decodes values for reading but writes them back exactly', () => {
    const src = '\uFEFF<?xml version="1.0" encoding="utf-8"?>\r\n<r x="a &amp; &quot;b&quot;" y=\'q"\'>\r\n  <t>1 &lt; 2 &#x41;&#66;</t>\r\n  <c><![CDATA[<raw>]]></c>\r\n  <!-- note -->\r\n  <e />\r\n</r>';
    const root = parseXml(src, 'r.xml');
    assert.equal(attr(root, 'x'), 'a & "b"');
    assert.equal(textOf(child(root, 't')), '1 < 2 AB');
    assert.equal(textOf(child(root, 'c')), '<raw>');
    const out = writeXml(root, { declaration: true });
    assert.ok(out.startsWith('\uFEFF<?xml version="1.0" encoding="utf-8"?>\n<r x="a &amp; &quot;b&quot;" y="q&quot;">'));
    assert.match(out, /<t>1 &lt; 2 &#x41;&#66;<\/t>/);
    assert.match(out, /<c><!\[CDATA\[<raw>\]\]><\/c>/);
    assert.match(out, /<!-- note -->/);
    assert.ok(xmlEqual(src, out));
    assert.equal(decodeXml('&#128512;'), '😀');
  });

  it('keeps mixed content and significant text as written', () => {
    const src = '<r><p>Hello <b>world</b> again</p></r>';
    assert.equal(writeXml(parseXml(src, 'r'), { declaration: false }), '<r>\n  <p>Hello <b>world</b> again</p>\n</r>');
  });

  it('compares semantically: whitespace, BOM, declaration, line endings and attribute order ignored', () => {
    assert.ok(xmlEqual('\uFEFF<?xml version="1.0"?>\r\n<a y="2" x="1">\r\n  <b>t</b>\r\n  <c/>\r\n</a>', '<a x="1" y="2"><b> t </b><c></c></a>'));
    assert.match(xmlDifference('<a><b>1</b></a>', '<a><b>2</b></a>', 'f') ?? '', /a\/b: attributes or text differ/);
    assert.match(xmlDifference('<a><b/></a>', '<a><b/><b/></a>', 'f') ?? '', /1 child elements vs 2/);
    assert.match(xmlDifference('<a x="1"/>', '<a x="2"/>', 'f') ?? '', /attributes or text differ/);
  });

  it('compares sibling order, except among the children of the collections a zip round trip reorders', () => {
    assert.equal(xmlEqual('<a><b/><c/></a>', '<a><c/><b/></a>'), false);
    assert.match(xmlDifference('<a><b/><c/></a>', '<a><c/><b/></a>', 'f') ?? '', /a: child 1 is <b> vs <c>/);
    assert.match(xmlDifference('<a><b>1</b><b>2</b></a>', '<a><b>2</b><b>1</b></a>', 'f') ?? '', /a\/b: attributes or text differ/);
    const views = (order: string[]) => `<Entity><SavedQueries><savedqueries>${order.map((id) => `<savedquery><savedqueryid>${id}</savedqueryid></savedquery>`).join('')}</savedqueries></SavedQueries></Entity>`;
    assert.equal(xmlDifference(views(['1', '2']), views(['2', '1']), 'f', ZIP_UNORDERED_COLLECTIONS), undefined);
    assert.match(xmlDifference(views(['1', '2']), views(['2', '1']), 'f') ?? '', /savedquery\/savedqueryid: attributes or text differ/);
    assert.match(xmlDifference(views(['1', '2']), views(['1', '3']), 'f', ZIP_UNORDERED_COLLECTIONS) ?? '', /savedqueryid: attributes or text differ/);
    assert.ok(xmlDifference('<Entities><b/><c/></Entities>', '<Entities><c/><b/></Entities>', 'f', ZIP_UNORDERED_COLLECTIONS));
  });
});
