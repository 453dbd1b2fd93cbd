import type { EmailTemplate, SmsTemplate } from '../template-types';

/**
 * The agency-style advisory to affected customers, from a simulated federal cyber liaison (never a
 * real agency). The layout puts the TLP label in the subject and above the body.
 */

export const agencyAdvisoryEmailEn: EmailTemplate = {
  id: 'agency-advisory.en.email',
  kind: 'agency-advisory',
  locale: 'en',
  channel: 'email',
  subject: 'SIMULATED Joint Cybersecurity Advisory {{advisoryId}}: {{incidentTitle}}',
  title: 'SIMULATED Joint Cybersecurity Advisory {{advisoryId}}',
  subtitle: '{{incidentTitle}}',
  intro: [
    'Issued {{noticeDate}} by the {{liaisonName}}, a role played by the exercise team. It is not a real agency.',
    '{{greeting}}',
    'This simulated advisory goes to customers of {{carrierName}} whose call metadata is part of the exercise scenario.',
  ],
  sections: [
    {
      heading: 'Summary',
      blocks: [
        'A simulated state-sponsored group tracked as "{{threatActor}}" accessed the networks of several fictional carriers, including {{carrierName}}, between {{windowStart}} and {{windowEnd}}. The intrusion was determined on {{determinedAt}}. The SIMULATED FBI and the SIMULATED CISA coordinate the simulated response.',
      ],
    },
    {
      heading: 'Information Involved',
      blocks: ['In the scenario, the group copied these types of information:', { dataCategories: true }],
    },
    {
      heading: 'Recommended Actions',
      blocks: [
        'No action is required: this is an exercise. A real advisory might recommend end-to-end encrypted calling and messaging apps, keeping your phone software up to date, and caution with unexpected requests for personal information.',
      ],
    },
    {
      heading: 'Contact',
      blocks: [
        'Questions about this exercise: {{liaisonEmail}} or {{liaisonPhone}}. Advisory page: {{advisoryUrl}}',
        'Your carrier: {{carrierName}}, {{carrierUrl}}',
      ],
    },
  ],
  signature: ['{{liaisonName}} (exercise role)', 'Exercise {{exerciseId}}, campaign {{campaignId}}'],
};

export const agencyAdvisoryEmailEs: EmailTemplate = {
  id: 'agency-advisory.es.email',
  kind: 'agency-advisory',
  locale: 'es',
  channel: 'email',
  subject:
    'SIMULATED Joint Cybersecurity Advisory / Aviso conjunto de ciberseguridad simulado {{advisoryId}}: {{incidentTitle}}',
  title: 'SIMULATED Joint Cybersecurity Advisory {{advisoryId}}',
  subtitle: 'Aviso conjunto de ciberseguridad simulado: {{incidentTitle}}',
  intro: [
    'Emitido el {{noticeDate}} por la {{liaisonName}}, un papel que representa el equipo del ejercicio. No es una agencia verdadera.',
    '{{greeting}}',
    'Este aviso simulado se dirige a clientes de {{carrierName}} cuyos metadatos de llamadas forman parte del escenario del ejercicio.',
  ],
  sections: [
    {
      heading: 'Summary',
      subheading: 'Resumen',
      blocks: [
        'Un grupo simulado patrocinado por un estado, identificado como "{{threatActor}}", accedió a las redes de varios operadores ficticios, entre ellos {{carrierName}}, entre el {{windowStart}} y el {{windowEnd}}. La intrusión se determinó el {{determinedAt}}. El SIMULATED FBI y la SIMULATED CISA coordinan la respuesta simulada.',
      ],
    },
    {
      heading: 'Information Involved',
      subheading: 'Información afectada',
      blocks: ['En el escenario, el grupo copió estos tipos de información:', { dataCategories: true }],
    },
    {
      heading: 'Recommended Actions',
      subheading: 'Acciones recomendadas',
      blocks: [
        'No se requiere ninguna acción: esto es un ejercicio. Un aviso verdadero podría recomendar aplicaciones de llamadas y mensajes con cifrado de extremo a extremo, mantener actualizado el software del teléfono y desconfiar de solicitudes inesperadas de información personal.',
      ],
    },
    {
      heading: 'Contact',
      subheading: 'Contacto',
      blocks: [
        'Preguntas sobre este ejercicio: {{liaisonEmail}} o {{liaisonPhone}}. Página del aviso: {{advisoryUrl}}',
        'Su operador: {{carrierName}}, {{carrierUrl}}',
      ],
    },
  ],
  signature: ['{{liaisonName}} (papel del ejercicio)', 'Ejercicio {{exerciseId}}, campaña {{campaignId}}'],
};

export const agencyAdvisorySmsEn: SmsTemplate = {
  id: 'agency-advisory.en.sms',
  kind: 'agency-advisory',
  locale: 'en',
  channel: 'sms',
  body: '{{tlp}} SIMULATED cyber advisory {{advisoryId}} for {{carrierName}} customers, sent for a drill by a simulated liaison.',
};

export const agencyAdvisorySmsEs: SmsTemplate = {
  id: 'agency-advisory.es.sms',
  kind: 'agency-advisory',
  locale: 'es',
  channel: 'sms',
  body: '{{tlp}} Aviso SIMULADO {{advisoryId}} para clientes de {{carrierName}}.',
};
