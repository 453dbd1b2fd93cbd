import { TEMPLATE_VARS, type TemplateVar, type TemplateVars } from './template-types';

const PLACEHOLDER = /\{\{(\w+)\}\}/g;
const KNOWN = new Set<string>(TEMPLATE_VARS);

/**
 * Fills `{{name}}` placeholders. An unknown name, or one with no value for this notice, is a template
 * bug and throws: a notice never goes out with a hole or a literal `{{...}}` in it.
 */
export function interpolate(template: string, vars: TemplateVars, templateId: string): string {
  return template.replace(PLACEHOLDER, (_whole, name: string) => {
    if (!KNOWN.has(name)) throw new Error(`template ${templateId} uses unknown placeholder {{${name}}}`);
    const value = vars[name as TemplateVar];
    if (value === undefined)
      throw new Error(`template ${templateId} needs {{${name}}}, which this notice lacks`);
    return value;
  });
}

/** The placeholder names a template string uses, in order of appearance. */
export function placeholdersIn(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}
