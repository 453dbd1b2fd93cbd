import type { EmailTemplate, SmsTemplate } from '../template-types';

/** The correction sent after ENDEX to everyone who got the original (DOMAIN.md §4.7). */

export const correctionEmailEn: EmailTemplate = {
  id: 'correction.en.email',
  kind: 'correction',
  locale: 'en',
  channel: 'email',
  subject: 'Correction: simulated notice {{advisoryId}} from {{originalSender}} is withdrawn',
  title: 'Correction to a Simulated Notice',
  subtitle: 'Exercise {{exerciseId}}, advisory {{advisoryId}}',
  intro: [
    'Date of this correction: {{noticeDate}}',
    '{{greeting}}',
    'You recently received a simulated notice from {{originalSender}} about advisory {{advisoryId}}. The exercise has ended (ENDEX) and that notice is withdrawn.',
  ],
  sections: [
    {
      heading: 'What This Means',
      blocks: [
        'Nothing has happened to your {{carrierName}} account. The earlier notice described a fictional incident for a training exercise. Please disregard it.',
      ],
    },
    {
      heading: 'For More Information',
      blocks: ['Contact {{originalSender}}: {{originalContact}}. These contact details are fictional.'],
    },
  ],
  signature: ['{{originalSender}}', 'Exercise {{exerciseId}}, campaign {{campaignId}}'],
};

export const correctionEmailEs: EmailTemplate = {
  id: 'correction.es.email',
  kind: 'correction',
  locale: 'es',
  channel: 'email',
  subject: 'Correction / Corrección: el aviso simulado {{advisoryId}} de {{originalSender}} queda retirado',
  title: 'Correction to a Simulated Notice',
  subtitle: 'Corrección de un aviso simulado: ejercicio {{exerciseId}}, aviso {{advisoryId}}',
  intro: [
    'Fecha de esta corrección: {{noticeDate}}',
    '{{greeting}}',
    'Recientemente recibió un aviso simulado de {{originalSender}} sobre el aviso {{advisoryId}}. El ejercicio ha terminado (ENDEX) y ese aviso queda retirado.',
  ],
  sections: [
    {
      heading: 'What This Means',
      subheading: 'Qué significa esto',
      blocks: [
        'No le ha pasado nada a su cuenta de {{carrierName}}. El aviso anterior describía un incidente ficticio para un ejercicio de capacitación. Por favor, ignórelo.',
      ],
    },
    {
      heading: 'For More Information',
      subheading: 'Más información',
      blocks: ['Contacto de {{originalSender}}: {{originalContact}}. Estos datos de contacto son ficticios.'],
    },
  ],
  signature: ['{{originalSender}}', 'Ejercicio {{exerciseId}}, campaña {{campaignId}}'],
};

export const correctionSmsEn: SmsTemplate = {
  id: 'correction.en.sms',
  kind: 'correction',
  locale: 'en',
  channel: 'sms',
  body: 'CORRECTION: disregard simulated notice {{advisoryId}} from {{originalSender}}. The drill has ended.',
};

export const correctionSmsEs: SmsTemplate = {
  id: 'correction.es.sms',
  kind: 'correction',
  locale: 'es',
  channel: 'sms',
  body: 'CORRECCION: ignore el aviso simulado {{advisoryId}}. El simulacro ha terminado.',
};
