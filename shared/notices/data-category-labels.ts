import type { DataCategory, Locale } from '../domain';

/** Human labels for the data categories (DOMAIN.md §1), as printed in notices. */
export const DATA_CATEGORY_LABELS: Readonly<Record<Locale, Readonly<Record<DataCategory, string>>>> = {
  en: {
    call_records: 'Call detail records (numbers called, call dates, times and durations)',
    sms_metadata: 'Text message records (numbers and times; not the content of messages)',
    location: 'Approximate location (the cell sites your phone used)',
    audio: 'Audio of some calls (a small number of targeted customers only)',
    lawful_intercept_requests: 'Copies of lawful-intercept requests that named your number',
    account_profile: 'Account profile (name and postal address)',
  },
  es: {
    call_records: 'Registros de llamadas (números marcados, fechas, horas y duración de las llamadas)',
    sms_metadata: 'Registros de mensajes de texto (números y horas; no el contenido de los mensajes)',
    location: 'Ubicación aproximada (las antenas que usó su teléfono)',
    audio: 'Audio de algunas llamadas (solo un pequeño número de clientes seleccionados)',
    lawful_intercept_requests: 'Copias de solicitudes de interceptación legal que mencionaban su número',
    account_profile: 'Perfil de la cuenta (nombre y dirección postal)',
  },
};

/** Labels in the order given, duplicates removed. */
export function dataCategoryLabels(categories: readonly DataCategory[], locale: Locale): string[] {
  return [...new Set(categories)].map((c) => DATA_CATEGORY_LABELS[locale][c]);
}
