import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; [key: string]: unknown }; [key: string]: unknown };

/** The only fields our kustomizations use; renderSubset understands exactly these. */
export const KUSTOMIZATION_FIELDS = ['apiVersion', 'kind', 'resources'];

function documents(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((document) => document.toJSON() as K8sObject | null)
    .filter((item): item is K8sObject => item !== null);
}

/** `kubectl kustomize <dir>`, or null when kubectl is not installed. */
export function renderWithKubectl(dir: string): K8sObject[] | null {
  if (spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status !== 0) return null;
  return documents(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
}

/**
 * Kustomize for the subset deploy/k8s uses: `resources` naming files and
 * directories, nothing transformed. No npm package renders kustomizations
 * without downloading kustomize itself, and the test must run where kubectl
 * is absent; k8s.test.ts compares this with kubectl where both exist.
 */
export function renderSubset(dir: string): K8sObject[] {
  const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Record<string, unknown>;
  const unknown = Object.keys(kustomization).filter((field) => !KUSTOMIZATION_FIELDS.includes(field));
  if (unknown.length > 0) throw new Error(`${dir}/kustomization.yaml uses ${unknown.join(', ')}: renderSubset knows only ${KUSTOMIZATION_FIELDS.join(', ')}`);
  const objects: K8sObject[] = [];
  for (const resource of (kustomization.resources as string[] | undefined) ?? []) {
    const path = join(dir, resource);
    objects.push(...(statSync(path).isDirectory() ? renderSubset(path) : documents(readFileSync(path, 'utf8'))));
  }
  return objects;
}

/** kubectl's rendering when it is installed, else renderSubset's. */
export function render(dir: string): { objects: K8sObject[]; by: 'kubectl' | 'subset' } {
  const rendered = renderWithKubectl(dir);
  return rendered ? { objects: rendered, by: 'kubectl' } : { objects: renderSubset(dir), by: 'subset' };
}
