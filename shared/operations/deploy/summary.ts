/** The deployment's Markdown summary (run summary page) and the one-line descriptions the log shares with it. */
import { componentTypeName, type DeletedComponent } from '../../dataverse';
import type { DeployStep } from './plan';

export interface SummaryInput {
  solutionName: string;
  managed: boolean;
  environment: string;
  action: 'installed' | 'updated' | 'upgraded' | 'skipped';
  step?: DeployStep;
  fromVersion?: string;
  toVersion: string;
  skipReason?: string;
  importJobId?: string;
  durationMs: number;
  connectionReferences: string[];
  environmentVariables: string[];
  published: boolean;
  warnings: string[];
  deletedComponents: DeletedComponent[];
}

const HOW: Record<DeployStep, string> = {
  install: 'new install',
  update: 'update',
  upgrade: 'holding solution + DeleteAndPromote',
  stageAndUpgrade: 'StageAndUpgrade',
  promote: 'DeleteAndPromote of a waiting holding solution',
};

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function describeDeletedComponent(c: DeletedComponent): string {
  return `${componentTypeName(c.type)} ${c.schemaName ?? c.id ?? '(unnamed)'}`;
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

export function describeOutcome(input: Pick<SummaryInput, 'action' | 'step' | 'fromVersion' | 'toVersion'>): string {
  if (input.action === 'skipped') return `Skipped (${input.fromVersion ?? 'not installed'} installed, file ${input.toVersion})`;
  const versions = input.fromVersion ? `${input.fromVersion} → ${input.toVersion}` : input.toVersion;
  const verb = input.action.charAt(0).toUpperCase() + input.action.slice(1);
  return `${verb} ${versions}${input.step ? ` (${HOW[input.step]})` : ''}`;
}

export function deploymentSummary(input: SummaryInput): string {
  const rows: Array<[string, string]> = [
    ['Solution', `${input.solutionName} (${input.managed ? 'managed' : 'unmanaged'})`],
    ['Environment', input.environment],
    ['Result', describeOutcome(input)],
  ];
  if (input.skipReason) rows.push(['Why', input.skipReason]);
  if (input.importJobId) rows.push(['Import job', input.importJobId]);
  if (input.connectionReferences.length > 0 || input.environmentVariables.length > 0) {
    rows.push(['Settings applied', [
      input.connectionReferences.length > 0 ? `connection references: ${input.connectionReferences.join(', ')}` : '',
      input.environmentVariables.length > 0 ? `environment variables: ${input.environmentVariables.join(', ')}` : '',
    ].filter(Boolean).join('; ')]);
  }
  if (input.published) rows.push(['Published', 'all customizations']);
  rows.push(['Duration', formatDuration(input.durationMs)]);

  const parts = ['| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${cell(v)} |`)];
  if (input.deletedComponents.length > 0) {
    parts.push('', `**Deleted components (${input.deletedComponents.length})**`, '', ...input.deletedComponents.map((c) => `- ${describeDeletedComponent(c)}`));
  }
  if (input.warnings.length > 0) {
    parts.push('', `**Warnings (${input.warnings.length})**`, '', ...input.warnings.map((w) => `- ${w.replace(/\r?\n/g, ' ')}`));
  }
  return `${parts.join('\n')}\n`;
}
