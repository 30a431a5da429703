<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="pt_BR">
<context>
    <name></name>
    <message>
        <source>The ERP server at {url} does not answer. Check that the server computer is on and connected to the network; if it is, ask whoever looks after it to restart Vigia there.</source>
        <translation>O servidor do ERP em {url} não responde. Verifique se o computador servidor está ligado e conectado à rede; se estiver, peça a quem cuida dele para reiniciar o Vigia lá.</translation>
    </message>
    <message>
        <source>The ERP server keeps stopping, so Vigia now tries again only every {minutes:g} minutes. Use Restart backend to try now; if it stops again, use Export diagnostics and send the file to support.</source>
        <translation>O servidor do ERP continua parando, por isso o Vigia agora só tenta de novo a cada {minutes:g} minutos. Use Reiniciar servidor para tentar agora; se parar de novo, use Exportar diagnóstico e envie o arquivo ao suporte.</translation>
    </message>
    <message>
        <source>The ERP server stopped working; Vigia is restarting it. If this message comes back, use Export diagnostics and send the file to support.</source>
        <translation>O servidor do ERP parou de funcionar; o Vigia está reiniciando-o. Se esta mensagem voltar, use Exportar diagnóstico e envie o arquivo ao suporte.</translation>
    </message>
    <message>
        <source>ERP server stopped</source>
        <translation>Servidor do ERP parado</translation>
    </message>
    <message>
        <source>The ERP server is working again.</source>
        <translation>O servidor do ERP voltou a funcionar.</translation>
    </message>
    <message>
        <source>Database not answering</source>
        <translation>Banco de dados não responde</translation>
    </message>
    <message>
        <source>The ERP server cannot reach its database, so the ERP cannot save or show data. Check that the database server (or the disk it uses) is working; Vigia keeps trying.</source>
        <translation>O servidor do ERP não consegue acessar o banco de dados, então o ERP não consegue salvar nem mostrar dados. Verifique se o servidor de banco de dados (ou o disco que ele usa) está funcionando; o Vigia continua tentando.</translation>
    </message>
    <message>
        <source>The database is answering again.</source>
        <translation>O banco de dados voltou a responder.</translation>
    </message>
    <message>
        <source>ERP server slow</source>
        <translation>Servidor do ERP lento</translation>
    </message>
    <message>
        <source>The ERP server took {ms:.0f} ms to answer, {count} times in a row (the limit is {limit:.0f} ms). If it stays slow, close programs you do not need or restart the backend.</source>
        <translation>O servidor do ERP levou {ms:.0f} ms para responder, {count} vezes seguidas (o limite é {limit:.0f} ms). Se continuar lento, feche os programas que não estiver usando ou reinicie o servidor.</translation>
    </message>
    <message>
        <source>The ERP server answers quickly again.</source>
        <translation>O servidor do ERP voltou a responder rápido.</translation>
    </message>
    <message>
        <source>ERP module not working</source>
        <translation>Módulo do ERP com falha</translation>
    </message>
    <message>
        <source>The ERP module &apos;{name}&apos; failed to load, so its screens do not work. Restart the backend; if it fails again, use Export diagnostics and send the file to support.</source>
        <translation>O módulo &apos;{name}&apos; do ERP não carregou, então as telas dele não funcionam. Reinicie o servidor; se falhar de novo, use Exportar diagnóstico e envie o arquivo ao suporte.</translation>
    </message>
    <message>
        <source>The ERP module &apos;{name}&apos; works again.</source>
        <translation>O módulo &apos;{name}&apos; do ERP voltou a funcionar.</translation>
    </message>
    <message>
        <source>The disk with the ERP data is almost full. Free space now (empty the recycle bin, move old files elsewhere), or the ERP may stop saving data.</source>
        <translation>O disco com os dados do ERP está quase cheio. Libere espaço agora (esvazie a lixeira, mova arquivos antigos para outro lugar), ou o ERP pode parar de salvar dados.</translation>
    </message>
    <message>
        <source>The disk with the ERP data is {percent:.0f}% full. Free space now (empty the recycle bin, move old files elsewhere), or the ERP may stop saving data.</source>
        <translation>O disco com os dados do ERP está {percent:.0f}% cheio. Libere espaço agora (esvazie a lixeira, mova arquivos antigos para outro lugar), ou o ERP pode parar de salvar dados.</translation>
    </message>
    <message>
        <source>Disk almost full</source>
        <translation>Disco quase cheio</translation>
    </message>
    <message>
        <source>There is enough free disk space again.</source>
        <translation>Já há espaço livre suficiente no disco.</translation>
    </message>
    <message>
        <source>The newest backup is too old. Make one now (tray menu: Back up now) and check that scheduled backups run.</source>
        <translation>O backup mais recente é antigo demais. Faça um agora (menu da bandeja: Fazer backup agora) e verifique se os backups agendados estão rodando.</translation>
    </message>
    <message>
        <source>The newest backup is {days:.1f} days old. Make one now (tray menu: Back up now) and check that scheduled backups run.</source>
        <translation>O backup mais recente tem {days:.1f} dias. Faça um agora (menu da bandeja: Fazer backup agora) e verifique se os backups agendados estão rodando.</translation>
    </message>
    <message>
        <source>Backup out of date</source>
        <translation>Backup desatualizado</translation>
    </message>
    <message>
        <source>A recent backup exists again.</source>
        <translation>Já existe um backup recente.</translation>
    </message>
    <message>
        <source>Server alert</source>
        <translation>Alerta do servidor</translation>
    </message>
    <message>
        <source>The server no longer reports this problem: {message}</source>
        <translation>O servidor não informa mais este problema: {message}</translation>
    </message>
    <message>
        <source>running</source>
        <translation>funcionando</translation>
    </message>
    <message>
        <source>degraded</source>
        <translation>com problemas</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>com falha</translation>
    </message>
    <message>
        <source>restarting</source>
        <translation>reiniciando</translation>
    </message>
    <message>
        <source>starting</source>
        <translation>iniciando</translation>
    </message>
    <message>
        <source>stopping</source>
        <translation>parando</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>parado</translation>
    </message>
    <message>
        <source>DB {ms} ms</source>
        <translation>BD {ms} ms</translation>
    </message>
    <message>
        <source>DB not answering</source>
        <translation>BD não responde</translation>
    </message>
    <message>
        <source>{working}/{total} routers</source>
        <translation>{working}/{total} módulos</translation>
    </message>
    <message>
        <source>Nothing to do: the ERP server is working.</source>
        <translation>Nada a fazer: o servidor do ERP está funcionando.</translation>
    </message>
    <message>
        <source>The ERP cannot save or show data until this is fixed. Check the database server (or the disk it uses); Vigia keeps trying by itself.</source>
        <translation>O ERP não consegue salvar nem mostrar dados até isto ser resolvido. Verifique o servidor de banco de dados (ou o disco que ele usa); o Vigia continua tentando sozinho.</translation>
    </message>
    <message>
        <source>The ERP works, but something needs attention: see the alerts below.</source>
        <translation>O ERP funciona, mas algo precisa de atenção: veja os alertas abaixo.</translation>
    </message>
    <message>
        <source>Please wait a moment.</source>
        <translation>Aguarde um instante.</translation>
    </message>
    <message>
        <source>The ERP server is stopped. Use Restart backend to start it.</source>
        <translation>O servidor do ERP está parado. Use Reiniciar servidor para iniciá-lo.</translation>
    </message>
    <message>
        <source>Check that the server computer is on and connected to the network; if it is, ask whoever looks after it to restart Vigia there.</source>
        <translation>Verifique se o computador servidor está ligado e conectado à rede; se estiver, peça a quem cuida dele para reiniciar o Vigia lá.</translation>
    </message>
    <message>
        <source>The ERP server keeps stopping. Use Restart backend to try now; if it stops again, use Export diagnostics and send the file to support.</source>
        <translation>O servidor do ERP continua parando. Use Reiniciar servidor para tentar agora; se parar de novo, use Exportar diagnóstico e envie o arquivo ao suporte.</translation>
    </message>
    <message>
        <source>Vigia is restarting the ERP server by itself. If this keeps happening, use Export diagnostics and send the file to support.</source>
        <translation>O Vigia está reiniciando o servidor do ERP sozinho. Se isso continuar acontecendo, use Exportar diagnóstico e envie o arquivo ao suporte.</translation>
    </message>
    <message>
        <source>Vigia: {state}</source>
        <translation>Vigia: {state}</translation>
    </message>
    <message>
        <source>Something went wrong; the details are in the log.</source>
        <translation>Algo deu errado; os detalhes estão no log.</translation>
    </message>
    <message>
        <source>The ERP server is not running yet; try again in a moment.</source>
        <translation>O servidor do ERP ainda não está rodando; tente de novo em instantes.</translation>
    </message>
    <message>
        <source>This needs the server&apos;s admin token; enter it in the settings.</source>
        <translation>Isto precisa do token de administrador do servidor; informe-o nas configurações.</translation>
    </message>
    <message>
        <source>The ERP server did not answer within {seconds:g} s; try again.</source>
        <translation>O servidor do ERP não respondeu em {seconds:g} s; tente de novo.</translation>
    </message>
    <message>
        <source>Cannot reach the ERP server at {url} ({error}); check that it is running.</source>
        <translation>Não foi possível acessar o servidor do ERP em {url} ({error}); verifique se ele está rodando.</translation>
    </message>
    <message>
        <source>The ERP server sent an answer this version of Vigia does not know.</source>
        <translation>O servidor do ERP enviou uma resposta que esta versão do Vigia não conhece.</translation>
    </message>
    <message>
        <source>The ERP server answered HTTP {status} without JSON.</source>
        <translation>O servidor do ERP respondeu HTTP {status} sem JSON.</translation>
    </message>
    <message>
        <source>The ERP server refused the admin token; check the token in the settings.</source>
        <translation>O servidor do ERP recusou o token de administrador; confira o token nas configurações.</translation>
    </message>
    <message>
        <source>The ERP server does not offer this (it may be an older version).</source>
        <translation>O servidor do ERP não oferece isto (pode ser uma versão mais antiga).</translation>
    </message>
    <message>
        <source>The ERP server answered HTTP {status}.</source>
        <translation>O servidor do ERP respondeu HTTP {status}.</translation>
    </message>
</context>
<context>
    <name>AlertsPanel</name>
    <message>
        <source>Resolve</source>
        <translation>Resolver</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Situação</translation>
    </message>
    <message>
        <source>Severity</source>
        <translation>Gravidade</translation>
    </message>
    <message>
        <source>Alert</source>
        <translation>Alerta</translation>
    </message>
    <message>
        <source>Since</source>
        <translation>Desde</translation>
    </message>
    <message>
        <source>Resolved</source>
        <translation>Resolvido</translation>
    </message>
    <message>
        <source>warning</source>
        <translation>aviso</translation>
    </message>
    <message>
        <source>error</source>
        <translation>erro</translation>
    </message>
    <message>
        <source>critical</source>
        <translation>crítico</translation>
    </message>
    <message>
        <source>active</source>
        <translation>ativo</translation>
    </message>
    <message>
        <source>resolved</source>
        <translation>resolvido</translation>
    </message>
    <message>
        <source>Vigia&apos;s own alerts clear by themselves when the problem is gone.</source>
        <translation>Os alertas do próprio Vigia somem sozinhos quando o problema acaba.</translation>
    </message>
    <message>
        <source>Please wait…</source>
        <translation>Aguarde…</translation>
    </message>
    <message>
        <source>Resolved on the server; it leaves this list in a few seconds.</source>
        <translation>Resolvido no servidor; sai desta lista em alguns segundos.</translation>
    </message>
    <message>
        <source>The server no longer reports this alert.</source>
        <translation>O servidor não informa mais este alerta.</translation>
    </message>
</context>
<context>
    <name>DashboardWindow</name>
    <message>
        <source>Vigia — dashboard</source>
        <translation>Vigia — painel</translation>
    </message>
    <message>
        <source>Response time</source>
        <translation>Tempo de resposta</translation>
    </message>
    <message>
        <source>Routers</source>
        <translation>Módulos</translation>
    </message>
    <message>
        <source>Alerts</source>
        <translation>Alertas</translation>
    </message>
</context>
<context>
    <name>DatabaseCard</name>
    <message>
        <source>Database</source>
        <translation>Banco de dados</translation>
    </message>
    <message>
        <source>Status:</source>
        <translation>Situação:</translation>
    </message>
    <message>
        <source>Latency now:</source>
        <translation>Latência agora:</translation>
    </message>
    <message>
        <source>Average (1 h):</source>
        <translation>Média (1 h):</translation>
    </message>
    <message>
        <source>answering</source>
        <translation>respondendo</translation>
    </message>
    <message>
        <source>slow</source>
        <translation>lento</translation>
    </message>
    <message>
        <source>not answering</source>
        <translation>não responde</translation>
    </message>
    <message>
        <source>unknown (no answer from the ERP server)</source>
        <translation>desconhecida (o servidor do ERP não responde)</translation>
    </message>
</context>
<context>
    <name>LatencyGraph</name>
    <message>
        <source>Response time (ms, logarithmic scale)</source>
        <translation>Tempo de resposta (ms, escala logarítmica)</translation>
    </message>
    <message>
        <source>15 min</source>
        <translation>15 min</translation>
    </message>
    <message>
        <source>1 h</source>
        <translation>1 h</translation>
    </message>
    <message>
        <source>24 h</source>
        <translation>24 h</translation>
    </message>
    <message>
        <source>7 days</source>
        <translation>7 dias</translation>
    </message>
    <message>
        <source>Response time</source>
        <translation>Tempo de resposta</translation>
    </message>
    <message>
        <source>Database</source>
        <translation>Banco de dados</translation>
    </message>
    <message>
        <source>alert limit {ms:.0f} ms</source>
        <translation>limite de alerta {ms:.0f} ms</translation>
    </message>
    <message>
        <source>No measurements in this period yet.</source>
        <translation>Ainda não há medições neste período.</translation>
    </message>
</context>
<context>
    <name>RoutersPanel</name>
    <message>
        <source>Disable</source>
        <translation>Desativar</translation>
    </message>
    <message>
        <source>Enable</source>
        <translation>Ativar</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nome</translation>
    </message>
    <message>
        <source>Prefix</source>
        <translation>Prefixo</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Situação</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Erro</translation>
    </message>
    <message>
        <source>Enabling and disabling modules needs the server&apos;s admin token.</source>
        <translation>Ativar e desativar módulos precisa do token de administrador do servidor.</translation>
    </message>
    <message>
        <source>working</source>
        <translation>funcionando</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>com falha</translation>
    </message>
    <message>
        <source>disabled</source>
        <translation>desativado</translation>
    </message>
    <message>
        <source>Please wait…</source>
        <translation>Aguarde…</translation>
    </message>
    <message>
        <source>Module {name} enabled.</source>
        <translation>Módulo {name} ativado.</translation>
    </message>
    <message>
        <source>Module {name} disabled.</source>
        <translation>Módulo {name} desativado.</translation>
    </message>
</context>
<context>
    <name>StateBanner</name>
    <message>
        <source>ERP server: {state}</source>
        <translation>Servidor do ERP: {state}</translation>
    </message>
    <message>
        <source>Restart backend</source>
        <translation>Reiniciar servidor</translation>
    </message>
    <message>
        <source>View logs</source>
        <translation>Ver logs</translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation>Configurações…</translation>
    </message>
</context>
<context>
    <name>SystemCard</name>
    <message>
        <source>This computer</source>
        <translation>Este computador</translation>
    </message>
    <message>
        <source>CPU:</source>
        <translation>CPU:</translation>
    </message>
    <message>
        <source>Memory:</source>
        <translation>Memória:</translation>
    </message>
    <message>
        <source>Disk (data folder):</source>
        <translation>Disco (pasta de dados):</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>desconhecido</translation>
    </message>
</context>
<context>
    <name>TrayApp</name>
    <message>
        <source>Restart not done</source>
        <translation>Reinício não feito</translation>
    </message>
</context>
<context>
    <name>TrayIcon</name>
    <message>
        <source>Vigia: starting</source>
        <translation>Vigia: iniciando</translation>
    </message>
    <message>
        <source>&amp;Open dashboard</source>
        <translation>&amp;Abrir painel</translation>
    </message>
    <message>
        <source>&amp;Restart backend</source>
        <translation>&amp;Reiniciar servidor</translation>
    </message>
    <message>
        <source>View &amp;logs</source>
        <translation>Ver &amp;logs</translation>
    </message>
    <message>
        <source>&amp;Back up now</source>
        <translation>Fazer &amp;backup agora</translation>
    </message>
    <message>
        <source>Bac&amp;kups…</source>
        <translation>Bac&amp;kups…</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>&amp;Configurações…</translation>
    </message>
    <message>
        <source>&amp;Export diagnostics…</source>
        <translation>&amp;Exportar diagnóstico…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Sair</translation>
    </message>
</context>
<context>
    <name>WindowActions</name>
    <message>
        <source>Export diagnostics is not available in this build.</source>
        <translation>Exportar diagnóstico não está disponível nesta versão.</translation>
    </message>
    <message>
        <source>The log viewer is not available in this build.</source>
        <translation>O visualizador de logs não está disponível nesta versão.</translation>
    </message>
    <message>
        <source>The backups window is not available in this build.</source>
        <translation>A janela de backups não está disponível nesta versão.</translation>
    </message>
    <message>
        <source>The settings are not available in this build.</source>
        <translation>As configurações não estão disponíveis nesta versão.</translation>
    </message>
    <message>
        <source>Backup started</source>
        <translation>Backup iniciado</translation>
    </message>
    <message>
        <source>The server is making a backup; Backups… shows the result.</source>
        <translation>O servidor está fazendo um backup; Backups… mostra o resultado.</translation>
    </message>
    <message>
        <source>Backup not made</source>
        <translation>Backup não feito</translation>
    </message>
</context>
</TS>
