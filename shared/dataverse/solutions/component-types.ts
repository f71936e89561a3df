/**
 * Names of Dataverse solution component types (the `componenttype` choice of the solutioncomponent table), as
 * users know them, for messages such as "missing dependency: table 'new_project' (type 1)".
 */
const COMPONENT_TYPE_NAMES: Record<number, string> = {
  1: 'table',
  2: 'column',
  3: 'relationship',
  9: 'choice (option set)',
  10: 'table relationship',
  14: 'key',
  20: 'security role',
  21: 'role privilege',
  24: 'form',
  25: 'organization',
  26: 'view',
  29: 'process (workflow or flow)',
  31: 'report',
  36: 'email template',
  44: 'duplicate detection rule',
  46: 'table map',
  47: 'column map',
  48: 'ribbon command',
  50: 'ribbon customization',
  55: 'ribbon diff',
  59: 'chart',
  60: 'form',
  61: 'web resource',
  62: 'site map',
  63: 'connection role',
  65: 'hierarchy rule',
  66: 'custom control',
  70: 'field security profile',
  80: 'model-driven app',
  90: 'plug-in type',
  91: 'plug-in assembly',
  92: 'plug-in step',
  93: 'plug-in step image',
  95: 'service endpoint',
  150: 'routing rule',
  152: 'SLA',
  161: 'mobile offline profile',
  300: 'canvas app',
  371: 'connector',
  372: 'connector',
  380: 'environment variable definition',
  381: 'environment variable value',
  400: 'AI project type',
  401: 'AI project',
  402: 'AI configuration',
  430: 'table analytics configuration',
  431: 'column image configuration',
  432: 'table image configuration',
};

/**
 * "table" for 1; for a value outside the list (custom component types are numbered per organization, e.g.
 * 10xxx for connection references) the type as given ("component type 10112"), and names like
 * "connectionreference" as they are.
 */
export function componentTypeName(type: string | number | undefined): string {
  if (type === undefined || type === '') return 'component';
  const number = typeof type === 'number' ? type : /^\d+$/.test(type.trim()) ? Number(type) : undefined;
  if (number === undefined) return String(type);
  return COMPONENT_TYPE_NAMES[number] ?? `component type ${number}`;
}
