import { TRAINING_LINE } from '../safety';

/**
 * Fixed wording every notice carries (DOMAIN.md §3, §4). The English training line is
 * `TRAINING_LINE` from shared/safety; Spanish notices carry it too, with the translation alongside.
 */

export { TRAINING_LINE };

export const TRAINING_LINE_ES =
  'Este es un mensaje de capacitación simulado. No ha ocurrido ninguna filtración real. No se requiere ninguna acción.';

/**
 * The translation for SMS: pure GSM-7 (á, í, ó and ú are not in the GSM 03.38 alphabet) and shorter,
 * so a Spanish SMS with both lines, the marker and the footer still fits two segments.
 */
export const TRAINING_LINE_ES_SMS = 'Mensaje de simulacro. No hubo filtracion real. No requiere accion.';

export const SMS_FOOTER = 'Reply STOP to opt out, HELP for help';

/** The sender of agency-style advisories: a simulated role, never a real agency (DOMAIN.md §2). */
export const SIMULATED_LIAISON = {
  name: 'SIMULATED Federal Cyber Liaison Office',
  address: 'liaison@federal-cyber-liaison.test',
  url: 'https://advisories.federal-cyber-liaison.test',
  phone: '+1 (202) 555-0101',
} as const;

/** Where the law-enforcement report goes: a simulated reporting facility (a sink). */
export const SIMULATED_REPORTING_FACILITY = {
  name: 'SIMULATED FCC / SIMULATED Secret Service / SIMULATED FBI breach reporting facility',
  address: 'reports@breach-reporting-facility.test',
} as const;
