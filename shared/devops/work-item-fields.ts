/** Reading work item fields as Azure DevOps returns them (identity fields are objects since api 5.0, strings before). */
import type { Person } from './types';

export function stringField(fields: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = fields?.[name];
  return typeof value === 'string' ? value : undefined;
}

export function dateField(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** An IdentityRef object, or the older "Display Name <unique name>" string. */
export function personField(value: unknown): Person | undefined {
  if (typeof value === 'string' && value.trim() !== '') {
    const match = /^(.*?)\s*<([^>]+)>\s*$/.exec(value);
    return match ? { displayName: match[1] || match[2], uniqueName: match[2] } : { displayName: value.trim() };
  }
  if (typeof value === 'object' && value !== null) {
    const { displayName, uniqueName } = value as { displayName?: unknown; uniqueName?: unknown };
    if (typeof displayName === 'string' && displayName !== '') {
      return typeof uniqueName === 'string' && uniqueName !== '' ? { displayName, uniqueName } : { displayName };
    }
  }
  return undefined;
}

export function describePerson(person: Person | undefined): string {
  if (!person) return 'someone';
  return person.uniqueName && person.uniqueName !== person.displayName ? `${person.displayName} <${person.uniqueName}>` : person.displayName;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'", nbsp: ' ' };

/** Comment HTML as plain text: block ends become line breaks, tags go, common entities are decoded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<br\s*\/?>|<\/(div|p|li)>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(amp|lt|gt|quot|#39|apos|nbsp);/g, (_, name: string) => ENTITIES[name])
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
