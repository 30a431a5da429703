<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="pt_BR">
    <context>
        <name>BackupsWindow</name>
        <message>
            <source>Vigia — Backups</source>
            <translation>Vigia — Backups</translation>
        </message>
        <message>
            <source>Back up now</source>
            <translation>Fazer backup agora</translation>
        </message>
        <message>
            <source>Verify</source>
            <translation>Verificar</translation>
        </message>
        <message>
            <source>Restore…</source>
            <translation>Restaurar…</translation>
        </message>
        <message>
            <source>Open folder</source>
            <translation>Abrir pasta</translation>
        </message>
        <message>
            <source>Refresh</source>
            <translation>Atualizar</translation>
        </message>
        <message>
            <source>The backups are on the server computer.</source>
            <translation>Os backups ficam no computador do servidor.</translation>
        </message>
        <message>
            <source>Date</source>
            <translation>Data</translation>
        </message>
        <message>
            <source>Size</source>
            <translation>Tamanho</translation>
        </message>
        <message>
            <source>Made</source>
            <translation>Origem</translation>
        </message>
        <message>
            <source>Verified</source>
            <translation>Verificado</translation>
        </message>
        <message>
            <source>State</source>
            <translation>Situação</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>Cancelar</translation>
        </message>
        <message>
            <source>Stop waiting (the server finishes the job)</source>
            <translation>Parar de esperar (o servidor termina o trabalho)</translation>
        </message>
        <message numerus="yes">
            <source>%n backup(s).</source>
            <translation>
                <numerusform>%n backup.</numerusform>
                <numerusform>%n backups.</numerusform>
            </translation>
        </message>
        <message>
            <source>There are no backups yet. Click “Back up now” to make one.</source>
            <translation>Ainda não há backups. Clique em “Fazer backup agora” para fazer um.</translation>
        </message>
        <message>
            <source>No</source>
            <translation>Não</translation>
        </message>
        <message>
            <source>Yes, on {0}</source>
            <translation>Sim, em {0}</translation>
        </message>
        <message>
            <source>Yes, when made</source>
            <translation>Sim, ao ser feito</translation>
        </message>
        <message>
            <source>Usable</source>
            <translation>Utilizável</translation>
        </message>
        <message>
            <source>Not usable: {0}</source>
            <translation>Inutilizável: {0}</translation>
        </message>
        <message>
            <source>By hand</source>
            <translation>Manual</translation>
        </message>
        <message>
            <source>Scheduled</source>
            <translation>Agendado</translation>
        </message>
        <message>
            <source>Before a restore</source>
            <translation>Antes de uma restauração</translation>
        </message>
        <message>
            <source>Before an update</source>
            <translation>Antes de uma atualização</translation>
        </message>
        <message>
            <source>Restore a backup</source>
            <translation>Restaurar um backup</translation>
        </message>
        <message>
            <source>Restore the backup of {0}?</source>
            <translation>Restaurar o backup de {0}?</translation>
        </message>
        <message>
            <source>All the current data of the ERP will be replaced by the data of {0}; everything recorded after that moment will be gone from the ERP. Before replacing it, Vigia makes a safety backup of the current data, so this can be undone. While the data is replaced (usually seconds) the ERP does not accept changes.</source>
            <translation>Todos os dados atuais do ERP serão substituídos pelos dados de {0}; tudo o que foi registrado depois desse momento deixará de existir no ERP. Antes de substituí-los, o Vigia faz um backup de segurança dos dados atuais, para que seja possível desfazer. Enquanto os dados são substituídos (em geral, alguns segundos), o ERP não aceita alterações.</translation>
        </message>
        <message>
            <source>Replace the data</source>
            <translation>Substituir os dados</translation>
        </message>
        <message>
            <source>Stopped waiting. The restore goes on in the server; it cannot be interrupted safely. Refresh the list later to see its result.</source>
            <translation>Você parou de esperar. A restauração continua no servidor; ela não pode ser interrompida com segurança. Atualize a lista mais tarde para ver o resultado.</translation>
        </message>
        <message>
            <source>Stopped waiting. The backup goes on in the server; it will appear in the list when it is done.</source>
            <translation>Você parou de esperar. O backup continua no servidor e aparecerá na lista quando terminar.</translation>
        </message>
        <message>
            <source>Asking the server…</source>
            <translation>Consultando o servidor…</translation>
        </message>
        <message>
            <source>Backup made ({0}) and checked.</source>
            <translation>Backup feito ({0}) e conferido.</translation>
        </message>
        <message>
            <source>The backup of {0} is intact.</source>
            <translation>O backup de {0} está íntegro.</translation>
        </message>
        <message>
            <source>The backup of {0} is damaged: {1}</source>
            <translation>O backup de {0} está danificado: {1}</translation>
        </message>
        <message>
            <source>The data of {0} was restored. A safety backup of the data as it was just before was made: {1} (it is in the list as “Before a restore”).</source>
            <translation>Os dados de {0} foram restaurados. Foi feito um backup de segurança dos dados como estavam logo antes: {1} (ele aparece na lista como “Antes de uma restauração”).</translation>
        </message>
        <message>
            <source>Restore finished</source>
            <translation>Restauração concluída</translation>
        </message>
        <message>
            <source>The backup was not made: {0}</source>
            <translation>O backup não foi feito: {0}</translation>
        </message>
        <message>
            <source>The backup could not be verified: {0}</source>
            <translation>Não foi possível verificar o backup: {0}</translation>
        </message>
        <message>
            <source>The restore was not done: {0}</source>
            <translation>A restauração não foi feita: {0}</translation>
        </message>
    </context>
    <context>
        <name>DiagnosticsExport</name>
        <message>
            <source>Collecting logs, settings and system information…</source>
            <translation>Reunindo logs, configurações e informações do sistema…</translation>
        </message>
        <message>
            <source>Export diagnostics</source>
            <translation>Exportar diagnóstico</translation>
        </message>
        <message>
            <source>The diagnostics were saved to:
{0}

Send this file to your IT support. It has the logs, the settings without passwords and information about this computer; it has no ERP data.</source>
            <translation>O diagnóstico foi salvo em:
{0}

Envie este arquivo ao suporte de TI. Ele contém os logs, as configurações sem senhas e informações sobre este computador; não contém dados do ERP.</translation>
        </message>
        <message>
            <source>Open folder</source>
            <translation>Abrir pasta</translation>
        </message>
        <message>
            <source>The diagnostics could not be saved: {0}</source>
            <translation>Não foi possível salvar o diagnóstico: {0}</translation>
        </message>
        <message>
            <source>Zip files (*.zip)</source>
            <translation>Arquivos zip (*.zip)</translation>
        </message>
    </context>
    <context>
        <name>JobFollower</name>
        <message>
            <source>The operation failed.</source>
            <translation>A operação falhou.</translation>
        </message>
    </context>
    <context>
        <name>LogTableModel</name>
        <message>
            <source>Request {0}</source>
            <translation>Requisição {0}</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>Hora</translation>
        </message>
        <message>
            <source>Level</source>
            <translation>Nível</translation>
        </message>
        <message>
            <source>Source</source>
            <translation>Origem</translation>
        </message>
        <message>
            <source>Message</source>
            <translation>Mensagem</translation>
        </message>
        <message>
            <source>Request ID</source>
            <translation>ID da requisição</translation>
        </message>
    </context>
    <context>
        <name>LogViewer</name>
        <message>
            <source>Vigia — Logs</source>
            <translation>Vigia — Logs</translation>
        </message>
        <message>
            <source>All levels</source>
            <translation>Todos os níveis</translation>
        </message>
        <message>
            <source>Debug and above</source>
            <translation>Depuração e acima</translation>
        </message>
        <message>
            <source>Info and above</source>
            <translation>Informação e acima</translation>
        </message>
        <message>
            <source>Warnings and errors</source>
            <translation>Avisos e erros</translation>
        </message>
        <message>
            <source>Errors only</source>
            <translation>Somente erros</translation>
        </message>
        <message>
            <source>Critical only</source>
            <translation>Somente críticos</translation>
        </message>
        <message>
            <source>Show records of this level and above</source>
            <translation>Mostrar registros deste nível e acima</translation>
        </message>
        <message>
            <source>Search text</source>
            <translation>Buscar texto</translation>
        </message>
        <message>
            <source>Request ID</source>
            <translation>ID da requisição</translation>
        </message>
        <message>
            <source>Only the records of one request (double-click a record to fill this in)</source>
            <translation>Somente os registros de uma requisição (clique duas vezes num registro para preencher)</translation>
        </message>
        <message>
            <source>Follow</source>
            <translation>Acompanhar</translation>
        </message>
        <message>
            <source>Show new records as they are written</source>
            <translation>Mostrar os novos registros à medida que são gravados</translation>
        </message>
        <message>
            <source>Reload</source>
            <translation>Recarregar</translation>
        </message>
        <message>
            <source>Open folder</source>
            <translation>Abrir pasta</translation>
        </message>
        <message>
            <source>Select a record to see all of it here.</source>
            <translation>Selecione um registro para vê-lo por inteiro aqui.</translation>
        </message>
        <message>
            <source>Reading the log…</source>
            <translation>Lendo o log…</translation>
        </message>
        <message>
            <source>No records match these filters.</source>
            <translation>Nenhum registro corresponde a esses filtros.</translation>
        </message>
        <message>
            <source>The log is empty.</source>
            <translation>O log está vazio.</translation>
        </message>
        <message numerus="yes">
            <source>Showing the newest %n record(s); older ones are not loaded.</source>
            <translation>
                <numerusform>Mostrando o registro mais recente; os mais antigos não foram carregados.</numerusform>
                <numerusform>Mostrando os %n registros mais recentes; os mais antigos não foram carregados.</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>Showing %n record(s).</source>
            <translation>
                <numerusform>Mostrando %n registro.</numerusform>
                <numerusform>Mostrando %n registros.</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>LogWorker</name>
        <message>
            <source>Cannot read the log: {0}</source>
            <translation>Não foi possível ler o log: {0}</translation>
        </message>
        <message>
            <source>Cannot read the log; see the tray's log.</source>
            <translation>Não foi possível ler o log; veja o log do Vigia.</translation>
        </message>
    </context>
    <context>
        <name>SettingsDialog</name>
        <message>
            <source>Vigia — Settings</source>
            <translation>Vigia — Configurações</translation>
        </message>
        <message>
            <source>Server</source>
            <translation>Servidor</translation>
        </message>
        <message>
            <source>Backups</source>
            <translation>Backups</translation>
        </message>
        <message>
            <source>Alerts</source>
            <translation>Alertas</translation>
        </message>
        <message>
            <source>General</source>
            <translation>Geral</translation>
        </message>
        <message>
            <source>The settings file could not be read ({0}). Saving replaces it.</source>
            <translation>Não foi possível ler o arquivo de configurações ({0}). Ao salvar, ele será substituído.</translation>
        </message>
        <message>
            <source>This computer watches a server on the network. The server's own settings are changed on the server computer.</source>
            <translation>Este computador monitora um servidor da rede. As configurações do próprio servidor são alteradas no computador do servidor.</translation>
        </message>
        <message>
            <source>Set by the environment variable {0}; change it there.</source>
            <translation>Definido pela variável de ambiente {0}; altere-o lá.</translation>
        </message>
        <message>
            <source>Port</source>
            <translation>Porta</translation>
        </message>
        <message>
            <source>Empty: the SQLite file in Vigia's data folder</source>
            <translation>Vazio: o arquivo SQLite na pasta de dados do Vigia</translation>
        </message>
        <message>
            <source>Database URL</source>
            <translation>URL do banco de dados</translation>
        </message>
        <message>
            <source>Database password</source>
            <translation>Senha do banco de dados</translation>
        </message>
        <message>
            <source>PostgreSQL: postgresql://user@server/database; MariaDB: mariadb://user@server/database. The password is kept in the system's password store, never in a file.</source>
            <translation>PostgreSQL: postgresql://usuario@servidor/banco; MariaDB: mariadb://usuario@servidor/banco. A senha fica guardada no cofre de senhas do sistema, nunca num arquivo.</translation>
        </message>
        <message>
            <source>Empty: the backups folder in Vigia's data</source>
            <translation>Vazio: a pasta de backups nos dados do Vigia</translation>
        </message>
        <message>
            <source>Choose…</source>
            <translation>Escolher…</translation>
        </message>
        <message>
            <source>Backup folder</source>
            <translation>Pasta dos backups</translation>
        </message>
        <message>
            <source>Make a backup every day</source>
            <translation>Fazer um backup todos os dias</translation>
        </message>
        <message>
            <source>Automatic backup</source>
            <translation>Backup automático</translation>
        </message>
        <message>
            <source>At</source>
            <translation>Às</translation>
        </message>
        <message>
            <source>Keep one a day for (days)</source>
            <translation>Manter um por dia durante (dias)</translation>
        </message>
        <message>
            <source>Keep one a week for (weeks)</source>
            <translation>Manter um por semana durante (semanas)</translation>
        </message>
        <message>
            <source>Slow answers (this computer)</source>
            <translation>Respostas lentas (este computador)</translation>
        </message>
        <message>
            <source>Slower than</source>
            <translation>Mais lentas que</translation>
        </message>
        <message>
            <source>Checks in a row</source>
            <translation>Verificações seguidas</translation>
        </message>
        <message>
            <source>Server alerts (0 turns one off)</source>
            <translation>Alertas do servidor (0 desativa o alerta)</translation>
        </message>
        <message>
            <source>Free disk space below</source>
            <translation>Espaço livre em disco abaixo de</translation>
        </message>
        <message>
            <source> hours</source>
            <translation> horas</translation>
        </message>
        <message>
            <source>Newest backup older than</source>
            <translation>Backup mais recente com mais de</translation>
        </message>
        <message>
            <source>Slowest 5% of requests above</source>
            <translation>5% mais lentos das requisições acima de</translation>
        </message>
        <message>
            <source>Failed requests above</source>
            <translation>Requisições com falha acima de</translation>
        </message>
        <message>
            <source>Memory use above</source>
            <translation>Uso de memória acima de</translation>
        </message>
        <message>
            <source>Notify me about</source>
            <translation>Avisar-me sobre</translation>
        </message>
        <message>
            <source>The server stopped or keeps failing</source>
            <translation>O servidor parou ou continua falhando</translation>
        </message>
        <message>
            <source>Database problems</source>
            <translation>Problemas no banco de dados</translation>
        </message>
        <message>
            <source>Slow answers</source>
            <translation>Respostas lentas</translation>
        </message>
        <message>
            <source>An ERP module failed to load</source>
            <translation>Um módulo do ERP não carregou</translation>
        </message>
        <message>
            <source>Disk almost full</source>
            <translation>Disco quase cheio</translation>
        </message>
        <message>
            <source>Backup too old</source>
            <translation>Backup muito antigo</translation>
        </message>
        <message>
            <source>Server alerts (errors, memory, connections)</source>
            <translation>Alertas do servidor (erros, memória, conexões)</translation>
        </message>
        <message>
            <source>Start Vigia when I log in</source>
            <translation>Iniciar o Vigia quando eu entrar no sistema</translation>
        </message>
        <message>
            <source>Not available on this system.</source>
            <translation>Não disponível neste sistema.</translation>
        </message>
        <message>
            <source>System language</source>
            <translation>Idioma do sistema</translation>
        </message>
        <message>
            <source>Language</source>
            <translation>Idioma</translation>
        </message>
        <message>
            <source>Stored (type to replace it)</source>
            <translation>Guardada (digite para substituí-la)</translation>
        </message>
        <message>
            <source>Cannot save the settings: {0}</source>
            <translation>Não foi possível salvar as configurações: {0}</translation>
        </message>
        <message>
            <source>Cannot change starting at login: {0}</source>
            <translation>Não foi possível alterar a inicialização automática: {0}</translation>
        </message>
        <message>
            <source>Nothing was saved. {0}</source>
            <translation>Nada foi salvo. {0}</translation>
        </message>
        <message>
            <source>Restart needed</source>
            <translation>É preciso reiniciar</translation>
        </message>
        <message>
            <source>These changes take effect when the ERP server restarts: {0}.</source>
            <translation>Estas alterações passam a valer quando o servidor do ERP reiniciar: {0}.</translation>
        </message>
        <message>
            <source>The new language shows the next time Vigia starts.</source>
            <translation>O novo idioma aparece na próxima vez que o Vigia for iniciado.</translation>
        </message>
        <message>
            <source>Restarting takes a few seconds; the ERP does not answer meanwhile.</source>
            <translation>Reiniciar leva alguns segundos; enquanto isso o ERP não responde.</translation>
        </message>
        <message>
            <source>Restart now</source>
            <translation>Reiniciar agora</translation>
        </message>
        <message>
            <source>Later</source>
            <translation>Mais tarde</translation>
        </message>
    </context>
</TS>
