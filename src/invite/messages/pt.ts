import type { Messages } from "./en";

export const pt: Messages = {
  page: {
    titleWhatsapp: "Conectar o WhatsApp Business",
    titleMessenger: "Conectar uma página do Facebook",
    invites: "{project} convida {client} a conectar {channel}",
    invitesYou: "{project} convida você a conectar {channel}",
    channelWhatsapp: "o WhatsApp Business",
    channelMessenger: "uma página do Facebook (Messenger)",
    expires: "Este link expira em {date}.",
    assignedNumber: "O número a conectar: {number}.",
    allowedCountries: "São aceitos números destes países: {countries}.",
    explainWhatsapp:
      "A Meta abre uma janela onde você entra com o Facebook e escolhe, ou cria, sua conta do WhatsApp Business e seu número.",
    explainMessenger:
      "A Meta abre uma janela onde você entra com o Facebook e autoriza o acesso à página a conectar.",
    actionWhatsapp: "Conectar WhatsApp",
    actionMessenger: "Conectar página do Facebook",
    unavailable: "Este serviço ainda não permite conectar contas. Avise quem enviou este link.",
    resume: "Uma conexão foi iniciada por este link e não foi concluída. Você pode continuá-la.",
    failedHeading: "A conexão não foi concluída",
    noscript: "Esta página precisa de JavaScript para conectar sua conta.",
    testHeading: "Modo de teste",
    testNotice: "Modo de teste: nada é enviado à Meta, e não é preciso ter uma conta da Meta.",
    testExplain: "Escolha o resultado a simular. Ele passa pelas mesmas etapas de uma conexão real.",
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
    addHeading: "Adicione seu número do WhatsApp",
    addExplain:
      "A janela da Meta terminou sem um número de telefone. Adicione o número que você quer usar com o WhatsApp; a Meta envia a ele um código para confirmar que é seu.",
    countryCode: "Código do país (dígitos, ex.: 55 para o Brasil)",
    phoneNumber: "Número de telefone, sem o código do país",
    displayName: "Nome de exibição (o nome que as pessoas veem no WhatsApp)",
    addAction: "Adicionar número",
    verifyHeading: "Verifique seu número do WhatsApp",
    verifyExplain:
      "A Meta precisa confirmar que o número é seu. Escolha como receber um código de 6 dígitos.",
    methodLegend: "Receber o código por",
    methodSms: "Mensagem de texto (SMS)",
    methodVoice: "Chamada de voz",
    sendAction: "Enviar código",
    resendAction: "Enviar um novo código",
    codeLabel: "Código de 6 dígitos",
    verifyAction: "Verificar",
    codeSent: "O código está a caminho. Digite-o abaixo quando chegar.",
    working: "Aguarde…",
    testCode: "Modo de teste: o código é 123456; qualquer outro é recusado.",
    missingFields: "Preencha todos os campos.",
    problem_code_incorrect: "Esse código não está certo. Confira e tente de novo.",
    problem_code_request_limited:
      "A Meta não vai enviar mais códigos para este número por enquanto. Tente de novo em {time}.",
    problem_code_resend_wait: "Um código acabou de ser enviado. Você pode pedir um novo em {time}.",
    problem_code_guess_limited: "Códigos errados demais. Peça um novo código.",
    problem_retry_later: "A Meta pediu para esperarmos. Tente de novo em {time}.",
    problem_number_invalid: "A Meta não aceitou este número. Confira o código do país e o número.",
    problem_number_rejected: "A Meta recusou este número. Confira-o ou use outro número.",
    problem_phone_country_not_allowed: "Este convite não aceita números desse país.",
    problem_phone_number_mismatch: "Este convite é para outro número.",
    problem_meta_rate_limited: "A Meta está recebendo solicitações demais. Tente de novo em {time}.",
    problem_meta_unavailable: "A Meta não respondeu. Tente de novo em {time}.",
  },
  gone: {
    title: "Convite indisponível",
    heading: "Este link não funciona mais",
    cancelled: "Quem enviou este convite o cancelou. Peça um novo link.",
    expired: "Este convite expirou. Peça um novo link a quem o enviou.",
    completed: "Este convite já foi usado: a conta está conectada.",
  },
  notFound: {
    title: "Convite não encontrado",
    heading: "Convite não encontrado",
    text: "Confira o link que você recebeu.",
  },
  script: {
    loading: "Carregando o login da Meta…",
    sdkFailed:
      "Não foi possível carregar o login da Meta. Verifique sua conexão ou os bloqueadores de conteúdo e recarregue esta página.",
    opening: "Siga as etapas na janela da Meta.",
    starting: "Iniciando…",
    finishing: "Conectando sua conta…",
    connectedHeading: "Conectado",
    connectedWhatsapp:
      "O número de WhatsApp {name} agora está conectado a {project}. Você pode fechar esta página.",
    connectedMessenger:
      "A página do Facebook {name} agora está conectada a {project}. Você pode fechar esta página.",
    pickLegend: "Escolha a página a conectar",
    pickAction: "Conectar esta página",
    pickNone: "Escolha uma página primeiro.",
    retryHint: "Você pode tentar de novo.",
    errorNetwork: "Não foi possível falar com o servidor. Verifique sua conexão e tente de novo.",
    errorBusy:
      "A conexão foi iniciada por este link em outro navegador ou aba há pouco. Termine-a lá ou tente de novo em alguns minutos.",
    errorOtherBrowser:
      "Esta conexão foi iniciada em outro navegador ou aba. Pressione o botão para começar de novo.",
    errorTooMany: "Tentativas demais com este link. Tente mais tarde ou peça ajuda a quem o enviou.",
    errorRateLimited: "Tentativas demais. Aguarde um minuto e tente de novo.",
    errorGone: "Este link não funciona mais. Recarregue a página para ver o motivo.",
    errorNotFound: "Este convite não existe.",
    errorUnexpected: "Algo deu errado. Tente de novo.",
  },
  journey: {
    stepsLabel: "Etapas",
    stepOpen: "Abrir a Meta",
    stepConnect: "Conectar sua conta",
    stepDone: "Pronto",
    returnTo: "Continuar para {project}",
    returning: "Voltando para {project} em {seconds} s.",
    stay: "Ficar nesta página",
    backTo: "Voltar para {project}",
    continueAnon: "Continuar",
    returningAnon: "Voltando em {seconds} s.",
    linksLabel: "Ajuda e políticas",
    help: "Ajuda",
    contact: "Falar com o suporte",
    privacy: "Política de privacidade",
    terms: "Termos",
  },
  redirect: {
    redirecting: "Levando você à Meta para conectar, nesta janela…",
    chooseLegend: "Qual número você quer conectar?",
    chooseCloudApi: "Um número novo, para a plataforma do WhatsApp Business",
    chooseBusinessApp: "O número que já uso no app WhatsApp Business",
    callbackTitle: "Conexão não continuada",
    callbackHeading: "Este login não pode continuar",
    invalid:
      "Não foi possível verificar a resposta da Meta, então nada foi alterado. Abra o link do convite que você recebeu e tente novamente.",
    expired:
      "O login demorou demais e expirou, então nada foi alterado. Abra o link do convite que você recebeu e tente novamente.",
    used: "Este login já foi usado, então nada foi alterado. Abra o link do convite que você recebeu para ver a situação.",
    otherBrowser:
      "Este login foi iniciado em outro navegador, então nada foi alterado. Abra o link do convite no navegador onde você começou.",
    stale:
      "Uma conexão mais recente foi iniciada com este link, ou ele está encerrado, então nada foi alterado. Abra o link do convite que você recebeu para ver a situação.",
  },
  reasons: {
    fb_cancelled: "A janela da Meta foi fechada antes de a conexão ser concluída.",
    fb_not_authorized:
      "As permissões pedidas pela Meta não foram concedidas, então a conta não pode ser conectada.",
    signup_abandoned: "A janela da Meta fechou antes de a conexão ser concluída.",
    meta_no_pages:
      "Sua conta do Facebook não administra nenhuma página. Crie uma página, ou peça acesso a quem a administra, e tente de novo.",
    internal_error: "A Meta informou um erro durante o cadastro, ou algo deu errado do nosso lado.",
    phone_country_not_allowed: "O número escolhido é de um país que este convite não aceita.",
    phone_number_mismatch: "O número escolhido não é o número deste convite.",
    phone_number_type_not_allowed:
      "Este convite não aceita esse tipo de número (um número do app WhatsApp Business, ou um novo). Tente novamente com o outro tipo.",
    meta_code_used: "O login da Meta já tinha sido usado. Comece de novo.",
    meta_code_expired: "O login da Meta demorou demais e expirou. Comece de novo.",
    meta_code_invalid: "A Meta não aceitou o login. Comece de novo.",
    meta_permission_missing:
      "O acesso a uma conta do WhatsApp Business, ou outra permissão, não foi concedido. Comece de novo e autorize.",
    meta_token_invalid: "O acesso da Meta expirou ou foi revogado. Comece de novo.",
    meta_waba_ambiguous:
      "Você deu acesso a várias contas do WhatsApp Business. Tente de novo e escolha uma na janela da Meta.",
    meta_no_phone_number:
      "A conta do WhatsApp Business não tem número de telefone. Adicione um na janela da Meta.",
    meta_register_limit:
      "A Meta bloqueou novos registros deste número por 72 horas, após tentativas demais. Tente mais tarde.",
    meta_register_failed: "A Meta não conseguiu registrar o número para enviar mensagens.",
    meta_rate_limited: "A Meta está recebendo solicitações demais. Aguarde alguns minutos e tente de novo.",
    meta_unavailable: "A Meta não respondeu a tempo. Tente de novo em instantes.",
    meta_error: "A Meta informou um erro. Tente de novo.",
    number_not_verified:
      "O número não foi verificado a tempo: nenhum código foi confirmado em 24 horas. Comece de novo para verificá-lo.",
    number_not_added: "Nenhum número de telefone foi adicionado a tempo. Comece de novo para adicionar um.",
  },
};
