import type { Messages } from "./en";

export const es: Messages = {
  page: {
    titleWhatsapp: "Conectar WhatsApp Business",
    titleMessenger: "Conectar una página de Facebook",
    invites: "{project} invita a {client} a conectar {channel}",
    invitesYou: "{project} te invita a conectar {channel}",
    channelWhatsapp: "WhatsApp Business",
    channelMessenger: "una página de Facebook (Messenger)",
    expires: "Este enlace vence el {date}.",
    assignedNumber: "El número que hay que conectar: {number}.",
    allowedCountries: "Se aceptan números de estos países: {countries}.",
    explainWhatsapp:
      "Meta abre una ventana donde inicias sesión con Facebook y eliges, o creas, tu cuenta de WhatsApp Business y tu número.",
    explainMessenger:
      "Meta abre una ventana donde inicias sesión con Facebook y das acceso a la página que quieres conectar.",
    actionWhatsapp: "Conectar WhatsApp",
    actionMessenger: "Conectar página de Facebook",
    unavailable: "Este servicio todavía no permite conectar cuentas. Avisa a quien te envió este enlace.",
    resume: "Se empezó una conexión desde este enlace y no se terminó. Puedes continuarla.",
    failedHeading: "La conexión no se completó",
    noscript: "Esta página necesita JavaScript para conectar tu cuenta.",
    testHeading: "Modo de prueba",
    testNotice: "Modo de prueba: no se envía nada a Meta y no hace falta una cuenta de Meta.",
    testExplain: "Elige el resultado que quieres simular. Pasa por los mismos pasos que una conexión real.",
  },
  simulate: {
    success: "Simulate success",
    cancel: "Simulate cancel",
    error: "Simulate error",
    unverified: "Simulate unverified number",
    noNumber: "Simulate no number",
  },
  // The number step after Meta's window (Embedded Signup v4): add a number, verify it.
  number: {
    addHeading: "Añade tu número de WhatsApp",
    addExplain:
      "La ventana de Meta terminó sin un número de teléfono. Añade el número que quieres usar con WhatsApp; Meta le enviará un código para confirmar que es tuyo.",
    countryCode: "Código de país (dígitos, p. ej. 34 para España)",
    phoneNumber: "Número de teléfono, sin el código de país",
    displayName: "Nombre visible (el que la gente ve en WhatsApp)",
    addAction: "Añadir número",
    verifyHeading: "Verifica tu número de WhatsApp",
    verifyExplain:
      "Meta necesita confirmar que el número es tuyo. Elige cómo recibir un código de 6 dígitos.",
    methodLegend: "Recibir el código por",
    methodSms: "Mensaje de texto (SMS)",
    methodVoice: "Llamada de voz",
    sendAction: "Enviar código",
    resendAction: "Enviar un código nuevo",
    codeLabel: "Código de 6 dígitos",
    verifyAction: "Verificar",
    codeSent: "El código está en camino. Escríbelo abajo cuando llegue.",
    working: "Espera un momento…",
    testCode: "Modo de prueba: el código es 123456; cualquier otro se rechaza.",
    missingFields: "Completa todos los campos.",
    problem_code_incorrect: "Ese código no es correcto. Revísalo e inténtalo de nuevo.",
    problem_code_request_limited:
      "Meta no enviará más códigos a este número por ahora. Inténtalo de nuevo en {time}.",
    problem_code_resend_wait: "Se acaba de enviar un código. Puedes pedir uno nuevo en {time}.",
    problem_code_guess_limited: "Demasiados códigos incorrectos. Pide un código nuevo.",
    problem_retry_later: "Meta nos pidió esperar. Inténtalo de nuevo en {time}.",
    problem_number_invalid: "Meta no aceptó este número. Revisa el código de país y el número.",
    problem_number_rejected: "Meta rechazó este número. Revísalo o usa otro número.",
    problem_phone_country_not_allowed: "Esta invitación no acepta números de ese país.",
    problem_phone_number_mismatch: "Esta invitación es para otro número.",
    problem_meta_rate_limited: "Meta está recibiendo demasiadas solicitudes. Inténtalo de nuevo en {time}.",
    problem_meta_unavailable: "Meta no respondió. Inténtalo de nuevo en {time}.",
  },
  gone: {
    title: "Invitación no disponible",
    heading: "Este enlace ya no funciona",
    cancelled: "Quien te envió esta invitación la canceló. Pídele un enlace nuevo.",
    expired: "Esta invitación venció. Pide un enlace nuevo a quien te la envió.",
    completed: "Esta invitación ya se usó: la cuenta está conectada.",
  },
  notFound: {
    title: "Invitación no encontrada",
    heading: "Invitación no encontrada",
    text: "Revisa el enlace que te enviaron.",
  },
  script: {
    loading: "Cargando el inicio de sesión de Meta…",
    sdkFailed:
      "No se pudo cargar el inicio de sesión de Meta. Revisa tu conexión o los bloqueadores de contenido y vuelve a cargar esta página.",
    opening: "Sigue los pasos en la ventana de Meta.",
    starting: "Comenzando…",
    finishing: "Conectando tu cuenta…",
    connectedHeading: "Conectado",
    connectedWhatsapp:
      "El número de WhatsApp {name} ya está conectado a {project}. Puedes cerrar esta página.",
    connectedMessenger:
      "La página de Facebook {name} ya está conectada a {project}. Puedes cerrar esta página.",
    pickLegend: "Elige la página que quieres conectar",
    pickAction: "Conectar esta página",
    pickNone: "Primero elige una página.",
    retryHint: "Puedes intentarlo de nuevo.",
    errorNetwork: "No se pudo contactar con el servidor. Revisa tu conexión e inténtalo de nuevo.",
    errorBusy:
      "La conexión se empezó desde este enlace en otro navegador o pestaña hace un momento. Termínala allí o inténtalo de nuevo en unos minutos.",
    errorOtherBrowser:
      "Esta conexión se empezó en otro navegador o pestaña. Pulsa el botón para empezar de nuevo.",
    errorTooMany:
      "Demasiados intentos con este enlace. Inténtalo más tarde o pide ayuda a quien te lo envió.",
    errorRateLimited: "Demasiados intentos. Espera un minuto e inténtalo de nuevo.",
    errorGone: "Este enlace ya no funciona. Vuelve a cargar la página para ver por qué.",
    errorNotFound: "Esta invitación no existe.",
    errorUnexpected: "Algo salió mal. Inténtalo de nuevo.",
  },
  journey: {
    stepsLabel: "Pasos",
    stepOpen: "Abrir Meta",
    stepConnect: "Conectar tu cuenta",
    stepDone: "Listo",
    returnTo: "Continuar a {project}",
    returning: "Te llevamos de vuelta a {project} en {seconds} s.",
    stay: "Quedarme en esta página",
    backTo: "Volver a {project}",
    continueAnon: "Continuar",
    returningAnon: "Te llevamos de vuelta en {seconds} s.",
    linksLabel: "Ayuda y políticas",
    help: "Ayuda",
    contact: "Contactar a soporte",
    privacy: "Política de privacidad",
    terms: "Términos",
  },
  redirect: {
    redirecting: "Te llevamos a Meta para conectar, en esta ventana…",
    chooseLegend: "¿Qué número quieres conectar?",
    chooseCloudApi: "Un número nuevo, para la plataforma de WhatsApp Business",
    chooseBusinessApp: "El número que ya uso en la app WhatsApp Business",
    callbackTitle: "Conexión no continuada",
    callbackHeading: "Este inicio de sesión no puede continuar",
    invalid:
      "No se pudo verificar la respuesta de Meta, así que no se cambió nada. Abre el enlace de invitación que recibiste e inténtalo de nuevo.",
    expired:
      "El inicio de sesión tardó demasiado y caducó, así que no se cambió nada. Abre el enlace de invitación que recibiste e inténtalo de nuevo.",
    used: "Este inicio de sesión ya se usó, así que no se cambió nada. Abre el enlace de invitación que recibiste para ver en qué estado está.",
    otherBrowser:
      "Este inicio de sesión se empezó en otro navegador, así que no se cambió nada. Abre el enlace de invitación en el navegador donde empezaste.",
    stale:
      "Se empezó una conexión más reciente desde este enlace, o está cerrado, así que no se cambió nada. Abre el enlace de invitación que recibiste para ver en qué estado está.",
  },
  reasons: {
    fb_cancelled: "Se cerró la ventana de Meta antes de terminar la conexión.",
    fb_not_authorized:
      "No se concedieron los permisos que pidió Meta, así que no se puede conectar la cuenta.",
    signup_abandoned: "La ventana de Meta se cerró antes de terminar la conexión.",
    meta_no_pages:
      "Tu cuenta de Facebook no administra ninguna página. Crea una página, o pide acceso a quien la administra, e inténtalo de nuevo.",
    internal_error: "Meta informó de un error durante el registro, o algo falló de nuestro lado.",
    phone_country_not_allowed: "El número que elegiste es de un país que esta invitación no acepta.",
    phone_number_mismatch: "El número que elegiste no es el número de esta invitación.",
    phone_number_type_not_allowed:
      "Esta invitación no acepta ese tipo de número (un número de la app WhatsApp Business, o uno nuevo). Vuelve a intentarlo con el otro tipo.",
    meta_code_used: "El inicio de sesión de Meta ya se había usado. Empieza de nuevo.",
    meta_code_expired: "El inicio de sesión de Meta tardó demasiado y venció. Empieza de nuevo.",
    meta_code_invalid: "Meta no aceptó el inicio de sesión. Empieza de nuevo.",
    meta_permission_missing:
      "No se concedió acceso a una cuenta de WhatsApp Business u otro permiso. Empieza de nuevo y permítelo.",
    meta_token_invalid: "El acceso de Meta venció o se revocó. Empieza de nuevo.",
    meta_waba_ambiguous:
      "Diste acceso a varias cuentas de WhatsApp Business. Inténtalo de nuevo y elige una en la ventana de Meta.",
    meta_no_phone_number:
      "La cuenta de WhatsApp Business no tiene número de teléfono. Agrega uno en la ventana de Meta.",
    meta_register_limit:
      "Meta bloqueó nuevos registros de este número durante 72 horas por demasiados intentos. Inténtalo más tarde.",
    meta_register_failed: "Meta no pudo registrar el número para enviar mensajes.",
    meta_rate_limited:
      "Meta está recibiendo demasiadas solicitudes. Espera unos minutos e inténtalo de nuevo.",
    meta_unavailable: "Meta no respondió a tiempo. Inténtalo de nuevo en un momento.",
    meta_error: "Meta informó de un error. Inténtalo de nuevo.",
    number_not_verified:
      "El número no se verificó a tiempo: no se confirmó ningún código en 24 horas. Empieza de nuevo para verificarlo.",
    number_not_added: "No se añadió ningún número de teléfono a tiempo. Empieza de nuevo para añadir uno.",
  },
};
