import type { EmailTemplate } from '../template-types';

/**
 * The carrier's report to the simulated reporting facility, with the seven fields of the amended FCC
 * rule 64.2011(a)(1) as numbered sections (DOMAIN.md §2). Email only.
 */

export const lawEnforcementReportEmailEn: EmailTemplate = {
  id: 'law-enforcement-report.en.email',
  kind: 'law-enforcement-report',
  locale: 'en',
  channel: 'email',
  subject: 'SIMULATED breach report from {{reportCarrierName}}, exercise {{exerciseId}}',
  title: 'Report of a Data Breach (simulated)',
  subtitle: 'Filed under the simulated 47 CFR 64.2011(a)(1) procedure for exercise {{exerciseId}}',
  intro: [
    {
      rows: [
        ['To', '{{facilityName}}'],
        ['Date filed', '{{noticeDate}}'],
        ['Related advisory', '{{advisoryId}}'],
      ],
    },
    'This simulated report is filed by a fictional carrier as part of a training exercise.',
  ],
  sections: [
    {
      heading: '1. Carrier Address and Contact',
      blocks: [
        {
          rows: [
            ['Carrier', '{{reportCarrierName}}'],
            ['Address', '{{reportCarrierAddress}}'],
            ['Contact', '{{reportContactName}}'],
            ['Phone', '{{reportContactPhone}}'],
            ['Email', '{{reportContactEmail}}'],
          ],
        },
      ],
    },
    { heading: '2. Description of the Incident', blocks: ['{{reportDescription}}'] },
    { heading: '3. Method of Compromise', blocks: ['{{reportMethod}}'] },
    { heading: '4. Date Range of the Incident', blocks: ['{{reportWindowStart}} to {{reportWindowEnd}}'] },
    { heading: '5. Approximate Number of Customers Affected', blocks: ['{{reportCustomersAffected}}'] },
    { heading: '6. Estimated Financial Loss', blocks: ['{{reportFinancialLoss}}'] },
    { heading: '7. Types of Data Involved', blocks: ['{{reportDataTypes}}'] },
  ],
  signature: ['{{reportContactName}}', '{{reportCarrierName}} (fictional carrier)'],
};

export const lawEnforcementReportEmailEs: EmailTemplate = {
  id: 'law-enforcement-report.es.email',
  kind: 'law-enforcement-report',
  locale: 'es',
  channel: 'email',
  subject:
    'SIMULATED breach report / Informe simulado de filtración de {{reportCarrierName}}, ejercicio {{exerciseId}}',
  title: 'Report of a Data Breach (simulated)',
  subtitle:
    'Informe simulado de filtración de datos según el procedimiento 47 CFR 64.2011(a)(1), ejercicio {{exerciseId}}',
  intro: [
    {
      rows: [
        ['To / Para', '{{facilityName}}'],
        ['Date filed / Fecha', '{{noticeDate}}'],
        ['Related advisory / Aviso relacionado', '{{advisoryId}}'],
      ],
    },
    'Este informe simulado lo presenta un operador ficticio como parte de un ejercicio de capacitación.',
  ],
  sections: [
    {
      heading: '1. Carrier Address and Contact',
      subheading: 'Dirección y contacto del operador',
      blocks: [
        {
          rows: [
            ['Operador', '{{reportCarrierName}}'],
            ['Dirección', '{{reportCarrierAddress}}'],
            ['Contacto', '{{reportContactName}}'],
            ['Teléfono', '{{reportContactPhone}}'],
            ['Correo', '{{reportContactEmail}}'],
          ],
        },
      ],
    },
    {
      heading: '2. Description of the Incident',
      subheading: 'Descripción del incidente',
      blocks: ['{{reportDescription}}'],
    },
    { heading: '3. Method of Compromise', subheading: 'Método de intrusión', blocks: ['{{reportMethod}}'] },
    {
      heading: '4. Date Range of the Incident',
      subheading: 'Periodo del incidente',
      blocks: ['Del {{reportWindowStart}} al {{reportWindowEnd}}'],
    },
    {
      heading: '5. Approximate Number of Customers Affected',
      subheading: 'Número aproximado de clientes afectados',
      blocks: ['{{reportCustomersAffected}}'],
    },
    {
      heading: '6. Estimated Financial Loss',
      subheading: 'Pérdida financiera estimada',
      blocks: ['{{reportFinancialLoss}}'],
    },
    {
      heading: '7. Types of Data Involved',
      subheading: 'Tipos de datos afectados',
      blocks: ['{{reportDataTypes}}'],
    },
  ],
  signature: ['{{reportContactName}}', '{{reportCarrierName}} (operador ficticio)'],
};
