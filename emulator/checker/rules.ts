/**
 * The emulated checker's rulesets and rules. Rule ids, categories and (where known) severities follow a real
 * PowerApps Checker SARIF (protocol.md §9.8, S36); each rule has a detector over the solution content so tests
 * can craft solutions with known findings. `web-remove-todo-comments` is the emulator's own (an Informational rule).
 */

export type EmulatedSeverity = 'Critical' | 'High' | 'Medium' | 'Low' | 'Informational';

export interface EmulatedRuleset {
  id: string;
  name: string;
}

export const SOLUTION_CHECKER: EmulatedRuleset = { id: '0ad12346-e108-40b8-a956-9a8f95ea18c9', name: 'Solution Checker' };
export const APPSOURCE_CERTIFICATION: EmulatedRuleset = { id: '083a2ef5-7e0e-4754-9d88-9455142dc08b', name: 'AppSource Certification' };
export const RULESETS: readonly EmulatedRuleset[] = [SOLUTION_CHECKER, APPSOURCE_CERTIFICATION];

/** What a rule looks at: script web resources (line by line), plug-in assembly bytes, or the solution's processes. */
export type RuleTarget = 'script' | 'assembly' | 'process';

export interface EmulatedRule {
  code: string;
  severity: EmulatedSeverity;
  componentType: 'WebResource' | 'ManagedCode' | 'Configuration';
  primaryCategory: string;
  summary: string;
  description: string;
  howToFix: string;
  /** Message with {0} = the component name. */
  messageTemplate: string;
  target: RuleTarget;
  /** For `script`: a match on a line is a finding at that line. For `assembly`: every string must occur in the bytes. */
  pattern?: RegExp;
  assemblyStrings?: string[];
  /** Only in the AppSource Certification ruleset (it is a superset of Solution Checker). */
  appSourceOnly?: boolean;
}

const rule = (r: EmulatedRule): EmulatedRule => r;

export const RULES: readonly EmulatedRule[] = [
  rule({
    code: 'web-sdl-no-postmessage-star-origin', severity: 'Critical', componentType: 'WebResource', primaryCategory: 'Security', target: 'script',
    summary: "Don't post messages to any origin", description: "postMessage with target origin '*' discloses data to any window.",
    howToFix: 'Pass the exact origin of the receiving window.', messageTemplate: "'{0}' posts a message to every origin ('*').",
    pattern: /\bpostMessage\s*\(.*,\s*['"]\*['"]\s*\)/,
  }),
  rule({
    code: 'web-avoid-eval', severity: 'High', componentType: 'WebResource', primaryCategory: 'Security', target: 'script',
    summary: "Don't use the 'eval' function or its functional equivalents", description: 'eval runs arbitrary code and defeats script analysis.',
    howToFix: 'Parse data with JSON.parse and call functions directly.', messageTemplate: "'{0}' calls eval.",
    pattern: /(^|[^\w.$])eval\s*\(/,
  }),
  rule({
    code: 'web-avoid-crm2011-service-soap', severity: 'High', componentType: 'WebResource', primaryCategory: 'UpgradeReadiness', target: 'script',
    summary: "Don't target the Microsoft Dynamics CRM 2011 SOAP services", description: 'The 2011 SOAP endpoint is deprecated.',
    howToFix: 'Use the Dataverse Web API.', messageTemplate: "'{0}' calls the CRM 2011 SOAP service.",
    pattern: /\/XRMServices\/2011\/Organization\.svc(?!\/?Data)/i,
  }),
  rule({
    code: 'web-avoid-crm2011-service-odata', severity: 'High', componentType: 'WebResource', primaryCategory: 'UpgradeReadiness', target: 'script',
    summary: "Don't target the Microsoft Dynamics CRM 2011 OData 2.0 endpoint", description: 'The 2011 OData endpoint is deprecated.',
    howToFix: 'Use the Dataverse Web API.', messageTemplate: "'{0}' calls the CRM 2011 OData endpoint.",
    pattern: /\/XRMServices\/2011\/OrganizationData\.svc/i,
  }),
  rule({
    code: 'web-use-async', severity: 'High', componentType: 'WebResource', primaryCategory: 'Performance', target: 'script',
    summary: 'Interact with HTTP and HTTPS resources asynchronously', description: 'Synchronous requests freeze the form.',
    howToFix: 'Open XMLHttpRequest asynchronously or use fetch.', messageTemplate: "'{0}' sends a synchronous request.",
    pattern: /\.open\s*\([^)]*,\s*false\s*\)/,
  }),
  rule({
    code: 'web-avoid-dom-form', severity: 'Medium', componentType: 'WebResource', primaryCategory: 'Supportability', target: 'script',
    summary: "Don't use the DOM to access form elements", description: 'The form DOM is not a supported API and changes without notice.',
    howToFix: 'Use formContext.getControl / getAttribute.', messageTemplate: "'{0}' reads the form DOM directly.",
    pattern: /\bdocument\.getElementById\s*\(/,
  }),
  rule({
    code: 'web-use-client-context', severity: 'Medium', componentType: 'WebResource', primaryCategory: 'UpgradeReadiness', target: 'script',
    summary: 'Use client context', description: 'Xrm.Page is deprecated.',
    howToFix: 'Use the formContext passed to the event handler.', messageTemplate: "'{0}' uses Xrm.Page.",
    pattern: /\bXrm\.Page\b/,
  }),
  rule({
    code: 'web-remove-alert', severity: 'Medium', componentType: 'WebResource', primaryCategory: 'Usage', target: 'script',
    summary: "Don't use 'alert', 'confirm' or 'prompt'", description: 'Browser dialogs block the page and are debug helpers.',
    howToFix: 'Use Xrm.Navigation.openAlertDialog.', messageTemplate: "Usage of 'alert', 'confirm', or 'prompt' was detected in '{0}'.",
    pattern: /(^|[^\w.$])(alert|confirm|prompt)\s*\(/,
  }),
  rule({
    code: 'web-remove-console', severity: 'Medium', componentType: 'WebResource', primaryCategory: 'Usage', target: 'script',
    summary: 'Remove console statements', description: 'Console output is debug code.',
    howToFix: 'Remove the console call.', messageTemplate: "'{0}' writes to the console.",
    pattern: /\bconsole\.(log|debug|info|warn|error|trace)\s*\(/,
  }),
  rule({
    code: 'web-remove-debug-script', severity: 'Medium', componentType: 'WebResource', primaryCategory: 'Usage', target: 'script',
    summary: 'Remove debug script', description: 'A debugger statement is left in the script.',
    howToFix: "Remove the 'debugger' statement.", messageTemplate: "'{0}' contains a debugger statement.",
    pattern: /(^|[^\w.$])debugger\s*;?/,
  }),
  rule({
    code: 'web-sdl-no-insecure-url', severity: 'Low', componentType: 'WebResource', primaryCategory: 'Security', target: 'script',
    summary: 'Use https:// URLs', description: 'A plain http:// URL is used.',
    howToFix: 'Use https://.', messageTemplate: "'{0}' uses an http:// URL.",
    pattern: /['"`]http:\/\/(?!localhost|127\.0\.0\.1)/i, appSourceOnly: true,
  }),
  rule({
    code: 'web-remove-todo-comments', severity: 'Informational', componentType: 'WebResource', primaryCategory: 'Maintainability', target: 'script',
    summary: 'Resolve TODO comments', description: 'The script has unfinished work marked TODO.',
    howToFix: 'Finish or remove the TODO.', messageTemplate: "'{0}' has a TODO comment.",
    pattern: /\/\/\s*TODO\b/,
  }),
  rule({
    code: 'il-avoid-parallel-plugin', severity: 'Medium', componentType: 'ManagedCode', primaryCategory: 'Design', target: 'assembly',
    summary: "Don't use parallel execution in plug-ins", description: 'Parallel calls in plug-ins break the transaction and thread model.',
    howToFix: 'Run the work sequentially.', messageTemplate: "Assembly '{0}' uses System.Threading.Tasks.Parallel.",
    assemblyStrings: ['System.Threading.Tasks', 'Parallel'],
  }),
  rule({
    code: 'il-avoid-batch-plugin', severity: 'Medium', componentType: 'ManagedCode', primaryCategory: 'Usage', target: 'assembly',
    summary: "Don't use batch request types in plug-ins", description: 'ExecuteMultiple inside a plug-in can exceed the 2-minute limit.',
    howToFix: 'Send the requests one by one.', messageTemplate: "Assembly '{0}' uses ExecuteMultipleRequest.",
    assemblyStrings: ['ExecuteMultipleRequest'],
  }),
  rule({
    code: 'il-avoid-specialized-update-ops', severity: 'Medium', componentType: 'ManagedCode', primaryCategory: 'UpgradeReadiness', target: 'assembly',
    summary: "Don't use specialized update operation requests", description: 'SetStateRequest and AssignRequest are deprecated.',
    howToFix: 'Use UpdateRequest with the statecode/ownerid columns.', messageTemplate: "Assembly '{0}' uses SetStateRequest.",
    assemblyStrings: ['SetStateRequest'],
  }),
  rule({
    code: 'flow-avoid-invalid-reference', severity: 'High', componentType: 'Configuration', primaryCategory: 'Usage', target: 'process',
    summary: 'Cloud flows must reference connection references the solution has',
    description: 'The flow uses a connection reference that is not in the solution.',
    howToFix: 'Add the connection reference to the solution or fix the flow.', messageTemplate: "Flow '{0}' uses a connection reference that is not in the solution.",
  }),
  rule({
    code: 'meta-remove-inactive', severity: 'Low', componentType: 'Configuration', primaryCategory: 'Maintainability', target: 'process',
    summary: 'Remove inactive processes from the solution', description: 'The solution ships a process that is turned off.',
    howToFix: 'Remove the process or turn it on.', messageTemplate: "Process '{0}' is inactive.",
  }),
];

export function rulesOf(ruleset: EmulatedRuleset): EmulatedRule[] {
  return RULES.filter((r) => ruleset.id === APPSOURCE_CERTIFICATION.id || !r.appSourceOnly);
}

/** A ruleset by GUID or name (case-insensitive, spaces ignored). */
export function findRuleset(idOrName: string): EmulatedRuleset | undefined {
  const key = idOrName.trim().replace(/^\{|\}$/g, '').replace(/\s+/g, '').toLowerCase();
  return RULESETS.find((r) => r.id === key || r.name.replace(/\s+/g, '').toLowerCase() === key);
}

export function helpUri(code: string): string {
  return `http://go.microsoft.com/fwlink/?LinkID=398563&error=${code}&client=PAChecker`;
}
