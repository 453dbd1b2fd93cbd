import type { EmailTemplate, SmsTemplate } from '../template-types';

/**
 * The carrier's customer notice, laid out as California Civil Code 1798.82 asks (DOMAIN.md §2): the
 * title "Notice of Data Breach" and five headings in a fixed order. Spanish keeps the required English
 * headings as the structure, with the Spanish heading and text beneath each.
 */

export const CARRIER_NOTICE_HEADINGS = [
  'What Happened',
  'What Information Was Involved',
  'What We Are Doing',
  'What You Can Do',
  'For More Information',
] as const;

export const CARRIER_NOTICE_TITLE = 'Notice of Data Breach';

export const carrierNoticeEmailEn: EmailTemplate = {
  id: 'carrier-notice.en.email',
  kind: 'carrier-notice',
  locale: 'en',
  channel: 'email',
  subject: 'Notice of Data Breach (simulated) from {{carrierName}}',
  title: CARRIER_NOTICE_TITLE,
  subtitle: 'A simulated notice from {{carrierName}}, a fictional carrier, for exercise {{exerciseId}}',
  intro: [
    'Date of this notice: {{noticeDate}}',
    '{{greeting}}',
    'We are writing to tell you about a simulated security incident that involved information about your {{carrierName}} account. This notice is part of a training exercise.',
  ],
  sections: [
    {
      heading: 'What Happened',
      blocks: [
        'Between {{windowStart}} and {{windowEnd}}, a simulated intruder that the exercise calls "{{threatActor}}" gained access to parts of our fictional network and copied call metadata. We determined on {{determinedAt}} that information about your account was involved. Exercise scenario: "{{incidentTitle}}".',
        '{{lawEnforcementDelay}}',
      ],
    },
    {
      heading: 'What Information Was Involved',
      blocks: [
        'The simulated incident involved the following types of information:',
        { dataCategories: true },
        'It did not involve passwords, payment card numbers or bank account numbers.',
      ],
    },
    {
      heading: 'What We Are Doing',
      blocks: [
        "We closed the simulated intruder's access, replaced the affected network credentials and added monitoring. We reported the simulated incident to the SIMULATED FBI and are working with the SIMULATED CISA; both are roles played by the exercise team.",
      ],
    },
    {
      heading: 'What You Can Do',
      blocks: [
        'Because this is an exercise, you do not need to do anything. In a real incident, a carrier would suggest adding a PIN to your account, reviewing your account activity, and being careful with unexpected calls or texts that ask for personal information.',
      ],
    },
    {
      heading: 'For More Information',
      blocks: [
        'Visit {{carrierUrl}} or call {{carrierPhone}}. You can write to {{carrierName}} at {{carrierAddress}}, or email {{carrierEmail}}. These contact details are fictional and exist only for the exercise.',
      ],
    },
  ],
  signature: ['{{carrierName}} (fictional carrier)', 'Exercise {{exerciseId}}, campaign {{campaignId}}'],
};

export const carrierNoticeEmailEs: EmailTemplate = {
  id: 'carrier-notice.es.email',
  kind: 'carrier-notice',
  locale: 'es',
  channel: 'email',
  subject: 'Notice of Data Breach / Aviso de filtración de datos (simulado) de {{carrierName}}',
  title: CARRIER_NOTICE_TITLE,
  subtitle:
    'Aviso de filtración de datos: aviso simulado de {{carrierName}}, un operador ficticio, para el ejercicio {{exerciseId}}',
  intro: [
    'Fecha de este aviso: {{noticeDate}}',
    '{{greeting}}',
    'Le escribimos para informarle sobre un incidente de seguridad simulado que afectó información de su cuenta de {{carrierName}}. Este aviso forma parte de un ejercicio de capacitación.',
  ],
  sections: [
    {
      heading: 'What Happened',
      subheading: 'Qué sucedió',
      blocks: [
        'Entre el {{windowStart}} y el {{windowEnd}}, un intruso simulado al que el ejercicio llama "{{threatActor}}" obtuvo acceso a partes de nuestra red ficticia y copió metadatos de llamadas. El {{determinedAt}} determinamos que se vio afectada información de su cuenta. Escenario del ejercicio: "{{incidentTitle}}".',
        '{{lawEnforcementDelay}}',
      ],
    },
    {
      heading: 'What Information Was Involved',
      subheading: 'Qué información se vio afectada',
      blocks: [
        'El incidente simulado afectó los siguientes tipos de información:',
        { dataCategories: true },
        'No afectó contraseñas, números de tarjetas de pago ni números de cuentas bancarias.',
      ],
    },
    {
      heading: 'What We Are Doing',
      subheading: 'Qué estamos haciendo',
      blocks: [
        'Cerramos el acceso del intruso simulado, reemplazamos las credenciales de red afectadas y reforzamos la supervisión. Informamos del incidente simulado al SIMULATED FBI y colaboramos con la SIMULATED CISA; ambos son papeles que representa el equipo del ejercicio.',
      ],
    },
    {
      heading: 'What You Can Do',
      subheading: 'Qué puede hacer usted',
      blocks: [
        'Como se trata de un ejercicio, no necesita hacer nada. En un incidente verdadero, un operador le sugeriría añadir un PIN a su cuenta, revisar la actividad de su cuenta y desconfiar de llamadas o mensajes inesperados que pidan información personal.',
      ],
    },
    {
      heading: 'For More Information',
      subheading: 'Más información',
      blocks: [
        'Visite {{carrierUrl}} o llame al {{carrierPhone}}. Puede escribir a {{carrierName}} a {{carrierAddress}}, o enviar un correo a {{carrierEmail}}. Estos datos de contacto son ficticios y existen solo para el ejercicio.',
      ],
    },
  ],
  signature: ['{{carrierName}} (operador ficticio)', 'Ejercicio {{exerciseId}}, campaña {{campaignId}}'],
};

export const carrierNoticeSmsEn: SmsTemplate = {
  id: 'carrier-notice.en.sms',
  kind: 'carrier-notice',
  locale: 'en',
  channel: 'sms',
  body: '{{carrierName}}: SIMULATED Notice of Data Breach for a drill. Details: {{carrierUrl}}',
};

export const carrierNoticeSmsEs: SmsTemplate = {
  id: 'carrier-notice.es.sms',
  kind: 'carrier-notice',
  locale: 'es',
  channel: 'sms',
  body: '{{carrierName}}: aviso SIMULADO de filtracion de datos (simulacro).',
};
