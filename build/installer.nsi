; Vigia for Windows: the installer (NSIS 3, Unicode). Per user, no administrator rights.
;
;   makensis -WX -DDIST_DIR=<onedir> -DOUT_FILE=<setup.exe> build\installer.nsi
;
; build/build.py runs this with DIST_DIR = the PyInstaller onedir (.work\dist\vigia) and
; also passes VERSION and VERSION_QUAD (otherwise read from pyproject.toml).
;
; What it does:
; - installs to %LOCALAPPDATA%\Programs\Vigia (change with /D=<folder> on the command line);
; - Start menu shortcut "Vigia", carrying the AppUserModelID ${APP_ID} that Vigia.exe also
;   sets for itself (build/vigia_entry.py), so Windows shows the tray's notifications as
;   "Vigia" with its icon;
; - "Start with Windows" (on by default; an upgrade keeps the user's choice): the value
;   "Vigia" under HKCU\...\Run, the same one the app's settings switch writes
;   (desktop/core/autostart.py);
; - uninstall entry under HKCU (Settings > Apps), with its size and version;
; - upgrade in place: a running Vigia is asked to quit ("vigia-cli.exe tray --command quit":
;   the tray stops its backend gracefully), the program files are replaced, and the data
;   folder (%LOCALAPPDATA%\Vigia: database, backups, logs, settings) and the keyring
;   entries (Windows Credential Manager, service "vigia") are not touched; a Vigia
;   closed for the upgrade is started again;
; - uninstall removes the program files, shortcuts, autostart value and uninstall entry,
;   and asks (default: No) before deleting the data folder and the keyring entries.
;
; Silent install for office roll-outs: Vigia-Setup.exe /S [/AUTOSTART=0|1] [/D=<folder>]
; Silent uninstall: "Uninstall Vigia.exe" /S  (keeps the data).

Unicode true
ManifestDPIAware true
RequestExecutionLevel user
SetCompressor /SOLID lzma

!include MUI2.nsh
!include LogicLib.nsh
!include Sections.nsh
!include FileFunc.nsh
!include Win\COM.nsh
!include Win\Propkey.nsh

; -- inputs --------------------------------------------------------------------------------

!ifndef DIST_DIR
  !error "pass the PyInstaller onedir: makensis -DDIST_DIR=.work\dist\vigia -DOUT_FILE=Vigia-Setup.exe build\installer.nsi"
!endif
!if ! /FileExists "${DIST_DIR}\Vigia.exe"
  !error "${DIST_DIR}\Vigia.exe is missing: DIST_DIR must be the onedir of a Windows build (build\build.py)"
!endif
!if ! /FileExists "${DIST_DIR}\vigia-cli.exe"
  !error "${DIST_DIR}\vigia-cli.exe is missing: DIST_DIR must be the onedir of a Windows build (build\build.py)"
!endif
!ifndef OUT_FILE
  !define OUT_FILE "Vigia-Setup.exe"
!endif
!ifndef VERSION
  !searchparse /noerrors /file "../pyproject.toml" `version = "` VERSION `"`
!endif
!ifndef VERSION
  !error "no VERSION given and none found in pyproject.toml"
!endif
!ifndef VERSION_QUAD
  !searchparse /noerrors "${VERSION}" `` VERSION_MAJOR `.` VERSION_MINOR `.` VERSION_PATCH
  !define VERSION_QUAD "${VERSION_MAJOR}.${VERSION_MINOR}.${VERSION_PATCH}.0"
!endif

;   makensis -DSIGN_COMMAND=<command> ...: signs the uninstaller and then the installer
; with "<command> <file>" (build/build.py passes VIGIA_SIGN_COMMAND; see README).
!ifdef SIGN_COMMAND
  !uninstfinalize '${SIGN_COMMAND} "%1"' = 0
  !finalize '${SIGN_COMMAND} "%1"' = 0
!endif

!define APP_NAME "Vigia"
!define APP_ID "Vigia.Tray"
!define GUI_EXE "Vigia.exe"
!define CLI_EXE "vigia-cli.exe"
!define UNINSTALLER "Uninstall Vigia.exe"
!define SHORTCUT "Vigia.lnk"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Vigia"
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define RUN_VALUE "Vigia"
!define DATA_DIR "$LOCALAPPDATA\Vigia"
!define ICON "../resources/icons/vigia.ico"
; Checks (every 0.5 s) for a running Vigia to quit: 30 s (its backend finishes its
; requests first, up to VIGIA_GRACEFUL_SHUTDOWN_S = 10 s).
!define QUIT_CHECKS 60

Name "${APP_NAME}"
OutFile "${OUT_FILE}"
InstallDir "$LOCALAPPDATA\Programs\Vigia"
InstallDirRegKey HKCU "${UNINST_KEY}" "InstallLocation"
BrandingText "${APP_NAME} ${VERSION}"
ShowInstDetails hide
ShowUninstDetails hide

VIProductVersion "${VERSION_QUAD}"
VIFileVersion "${VERSION_QUAD}"

Var WasRunning

; -- pages ---------------------------------------------------------------------------------

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_WELCOMEPAGE_TEXT "$(WelcomeText)"
!define MUI_COMPONENTSPAGE_SMALLDESC
!define MUI_FINISHPAGE_RUN "$INSTDIR\${GUI_EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "$(RunNow)"
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

; The UI language follows Windows' (Brazilian Portuguese or English).
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "PortugueseBR"

VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductName" "${APP_NAME}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "CompanyName" "${APP_NAME}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileDescription" "${APP_NAME} installer"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "LegalCopyright" "Proprietary"

; -- texts ---------------------------------------------------------------------------------

LangString WelcomeText ${LANG_ENGLISH} "This installs Vigia ${VERSION} for your Windows user. It does not need administrator rights.$\r$\n$\r$\nVigia runs the ERP server on this computer and shows its state next to the clock. If Vigia is running now, it is closed and started again; your data and settings are kept.$\r$\n$\r$\nClick Next to continue."
LangString WelcomeText ${LANG_PORTUGUESEBR} "Este assistente instala o Vigia ${VERSION} para o seu usuário do Windows. Não é preciso ser administrador.$\r$\n$\r$\nO Vigia mantém o servidor do ERP funcionando neste computador e mostra o estado dele ao lado do relógio. Se o Vigia estiver aberto, ele será fechado e aberto de novo; seus dados e configurações são mantidos.$\r$\n$\r$\nClique em Próximo para continuar."
LangString SecAppText ${LANG_ENGLISH} "Vigia (required)"
LangString SecAppText ${LANG_PORTUGUESEBR} "Vigia (obrigatório)"
LangString SecAppDesc ${LANG_ENGLISH} "The program, a Start menu shortcut and the uninstall entry."
LangString SecAppDesc ${LANG_PORTUGUESEBR} "O programa, um atalho no menu Iniciar e a entrada para desinstalar."
LangString SecAutostartText ${LANG_ENGLISH} "Start with Windows"
LangString SecAutostartText ${LANG_PORTUGUESEBR} "Iniciar com o Windows"
LangString SecAutostartDesc ${LANG_ENGLISH} "Start Vigia when you sign in, so the ERP server is always up. Recommended. Can be changed later in Vigia's settings."
LangString SecAutostartDesc ${LANG_PORTUGUESEBR} "Abre o Vigia quando você entra no Windows, para o servidor do ERP estar sempre no ar. Recomendado. Dá para mudar depois nas configurações do Vigia."
LangString SecDesktopText ${LANG_ENGLISH} "Desktop shortcut"
LangString SecDesktopText ${LANG_PORTUGUESEBR} "Atalho na área de trabalho"
LangString SecDesktopDesc ${LANG_ENGLISH} "A Vigia icon on the desktop."
LangString SecDesktopDesc ${LANG_PORTUGUESEBR} "Um ícone do Vigia na área de trabalho."
LangString RunNow ${LANG_ENGLISH} "Start Vigia now"
LangString RunNow ${LANG_PORTUGUESEBR} "Abrir o Vigia agora"
LangString Closing ${LANG_ENGLISH} "Closing the running Vigia (the server finishes its requests first)..."
LangString Closing ${LANG_PORTUGUESEBR} "Fechando o Vigia aberto (o servidor termina os pedidos em andamento)..."
LangString StillRunning ${LANG_ENGLISH} "Vigia is still running and its files cannot be replaced.$\r$\n$\r$\nQuit Vigia (tray icon > Quit), or close vigia-cli.exe if it runs as a server, then click Retry."
LangString StillRunning ${LANG_PORTUGUESEBR} "O Vigia ainda está aberto e seus arquivos não podem ser trocados.$\r$\n$\r$\nFeche o Vigia (ícone perto do relógio > Sair), ou o vigia-cli.exe se ele roda como servidor, e clique em Repetir."
LangString OtherSetup ${LANG_ENGLISH} "The Vigia installer is already running."
LangString OtherSetup ${LANG_PORTUGUESEBR} "O instalador do Vigia já está aberto."
LangString AskRemoveData ${LANG_ENGLISH} "Also delete Vigia's data?$\r$\n$\r$\nThis deletes the folder ${DATA_DIR} (the ERP database, backups, logs and settings) and Vigia's saved passwords. It cannot be undone.$\r$\n$\r$\nChoose No to keep them (a later install will use them again)."
LangString AskRemoveData ${LANG_PORTUGUESEBR} "Apagar também os dados do Vigia?$\r$\n$\r$\nIsto apaga a pasta ${DATA_DIR} (o banco de dados do ERP, os backups, os registros e as configurações) e as senhas guardadas pelo Vigia. Não dá para desfazer.$\r$\n$\r$\nEscolha Não para mantê-los (uma nova instalação volta a usá-los)."
LangString NoAppId ${LANG_ENGLISH} "Note: could not set the shortcut's application ID (error $0); notifications may show without Vigia's name."
LangString NoAppId ${LANG_PORTUGUESEBR} "Aviso: não foi possível gravar o ID do aplicativo no atalho (erro $0); as notificações podem aparecer sem o nome do Vigia."

; -- running Vigia -------------------------------------------------------------------------

; Installer and uninstaller each need their own copy of these functions (un. prefix).
!macro RUNNING_VIGIA_FUNCTIONS un
  ; Pushes 1 when Vigia.exe or vigia-cli.exe in $INSTDIR is running (Windows does not let
  ; anyone open a running executable for writing), else 0.
  Function ${un}ProgramFilesInUse
    Push $0
    Push $1
    StrCpy $0 0
    ${If} ${FileExists} "$INSTDIR\${GUI_EXE}"
      ClearErrors
      FileOpen $1 "$INSTDIR\${GUI_EXE}" a
      ${If} ${Errors}
        StrCpy $0 1
      ${Else}
        FileClose $1
      ${EndIf}
    ${EndIf}
    ${If} ${FileExists} "$INSTDIR\${CLI_EXE}"
      ClearErrors
      FileOpen $1 "$INSTDIR\${CLI_EXE}" a
      ${If} ${Errors}
        StrCpy $0 1
      ${Else}
        FileClose $1
      ${EndIf}
    ${EndIf}
    Pop $1
    Exch $0
  FunctionEnd

  ; Asks a running tray to quit (it stops its backend gracefully) and waits until the
  ; program files are free; if they are not after QUIT_WAIT_S, asks the user to close
  ; what still runs (Retry) or to give up (Cancel: nothing has been changed yet).
  ; Sets $WasRunning to 1 when something had to be closed.
  Function ${un}CloseRunningVigia
    Push $0
    Push $1
    StrCpy $WasRunning 0
    Call ${un}ProgramFilesInUse
    Pop $0
    ${If} $0 = 1
      StrCpy $WasRunning 1
      DetailPrint "$(Closing)"
      nsExec::Exec '"$INSTDIR\${CLI_EXE}" tray --command quit'
      Pop $0
      StrCpy $1 0
      ${Do}
        Sleep 500
        Call ${un}ProgramFilesInUse
        Pop $0
        ${IfThen} $0 = 0 ${|} ${Break} ${|}
        IntOp $1 $1 + 1
        ${If} $1 >= ${QUIT_CHECKS}
          MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "$(StillRunning)" /SD IDCANCEL IDRETRY retry
          Abort "$(StillRunning)"
          retry:
          StrCpy $1 0
        ${EndIf}
      ${Loop}
    ${EndIf}
    Pop $1
    Pop $0
  FunctionEnd
!macroend
!insertmacro RUNNING_VIGIA_FUNCTIONS ""
!insertmacro RUNNING_VIGIA_FUNCTIONS "un."

; -- shortcuts -----------------------------------------------------------------------------

; Creates the shortcut at the path on the stack, pointing to Vigia.exe, and stores the
; AppUserModelID in it (IPropertyStore, PKEY_AppUserModel_ID, through Win\COM.nsh).
Function CreateVigiaShortcut
  Exch $0 ; the .lnk path
  Push $1
  Push $2
  Push $3
  Push $4
  Push $5
  Push $6
  Push $7
  CreateShortcut "$0" "$INSTDIR\${GUI_EXE}" "" "$INSTDIR\${GUI_EXE}" 0
  StrCpy $7 -1
  !insertmacro ComHlpr_CreateInProcInstance ${CLSID_ShellLink} ${IID_IShellLink} r1 ""
  ${If} $1 P<> 0
    ${IUnknown::QueryInterface} $1 '("${IID_IPersistFile}",.r2)'
    ${If} $2 P<> 0
      ${IPersistFile::Load} $2 '("$0",${STGM_READWRITE}).r7'
      ${If} $7 = 0
        StrCpy $7 -1
        ${IUnknown::QueryInterface} $1 '("${IID_IPropertyStore}",.r3)'
        ${If} $3 P<> 0
          System::Call '*${SYSSTRUCT_PROPERTYKEY}(${PKEY_AppUserModel_ID})p.r4'
          System::Call '*(&w64 "${APP_ID}")p.r5'
          System::Call '*${SYSSTRUCT_PROPVARIANT}(${VT_LPWSTR},,p r5)p.r6'
          ${IPropertyStore::SetValue} $3 '($4,$6).r7'
          ${If} $7 = 0
            ${IPropertyStore::Commit} $3 '().r7'
          ${EndIf}
          System::Free $6
          System::Free $5
          System::Free $4
          ${IUnknown::Release} $3 ""
          ${If} $7 = 0
            ${IPersistFile::Save} $2 '("$0",1).r7'
          ${EndIf}
        ${EndIf}
      ${EndIf}
      ${IUnknown::Release} $2 ""
    ${EndIf}
    ${IUnknown::Release} $1 ""
  ${EndIf}
  ${If} $7 <> 0
    StrCpy $0 $7
    DetailPrint "$(NoAppId)"
  ${EndIf}
  Pop $7
  Pop $6
  Pop $5
  Pop $4
  Pop $3
  Pop $2
  Pop $1
  Pop $0
FunctionEnd

; -- install -------------------------------------------------------------------------------

Section "$(SecAppText)" SecApp
  SectionIn RO
  Call CloseRunningVigia
  SetOutPath "$INSTDIR"
  ; The old program files go first, so nothing a new version no longer ships stays behind
  ; (only ours: the folder may have been chosen with /D).
  RMDir /r "$INSTDIR\_internal"
  File /r "${DIST_DIR}\*"
  WriteUninstaller "$INSTDIR\${UNINSTALLER}"

  Push "$SMPROGRAMS\${SHORTCUT}"
  Call CreateVigiaShortcut

  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "${APP_NAME}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${GUI_EXE},0"
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\${UNINSTALLER}"'
  WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\${UNINSTALLER}" /S'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINST_KEY}" "EstimatedSize" "$0"
SectionEnd

Section "$(SecAutostartText)" SecAutostart
  WriteRegStr HKCU "${RUN_KEY}" "${RUN_VALUE}" '"$INSTDIR\${GUI_EXE}" tray'
SectionEnd

Section /o "$(SecDesktopText)" SecDesktop
  Push "$DESKTOP\${SHORTCUT}"
  Call CreateVigiaShortcut
SectionEnd

Section "-finish"
  ${IfNot} ${SectionIsSelected} ${SecAutostart}
    DeleteRegValue HKCU "${RUN_KEY}" "${RUN_VALUE}"
  ${EndIf}
  ; A silent upgrade has no finish page: start again the Vigia it closed.
  ${If} ${Silent}
  ${AndIf} $WasRunning = 1
    Exec '"$INSTDIR\${GUI_EXE}"'
  ${EndIf}
SectionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecApp} "$(SecAppDesc)"
  !insertmacro MUI_DESCRIPTION_TEXT ${SecAutostart} "$(SecAutostartDesc)"
  !insertmacro MUI_DESCRIPTION_TEXT ${SecDesktop} "$(SecDesktopDesc)"
!insertmacro MUI_FUNCTION_DESCRIPTION_END

Function .onInit
  ; One installer at a time.
  System::Call 'kernel32::CreateMutexW(p 0, i 0, w "VigiaSetup") p .r0 ?e'
  Pop $0
  ${If} $0 = 183 ; ERROR_ALREADY_EXISTS
    MessageBox MB_OK|MB_ICONEXCLAMATION "$(OtherSetup)" /SD IDOK
    Abort
  ${EndIf}
  ; An upgrade keeps the user's "start with Windows" choice.
  ReadRegStr $0 HKCU "${UNINST_KEY}" "InstallLocation"
  ${If} $0 != ""
    ReadRegStr $1 HKCU "${RUN_KEY}" "${RUN_VALUE}"
    ${If} $1 == ""
      !insertmacro UnselectSection ${SecAutostart}
    ${EndIf}
  ${EndIf}
  ; /AUTOSTART=0 or /AUTOSTART=1 decides it (silent office roll-outs).
  ${GetParameters} $0
  ClearErrors
  ${GetOptions} $0 "/AUTOSTART=" $1
  ${IfNot} ${Errors}
    ${If} $1 == "0"
      !insertmacro UnselectSection ${SecAutostart}
    ${Else}
      !insertmacro SelectSection ${SecAutostart}
    ${EndIf}
  ${EndIf}
FunctionEnd

; -- uninstall -----------------------------------------------------------------------------

; Windows Credential Manager entries that keyring (service "vigia") writes: the newest
; under "vigia", the others under "<name>@vigia" (keyring.backends.Windows).
!macro DELETE_CREDENTIAL target
  System::Call 'advapi32::CredDeleteW(w "${target}", i 1, i 0) i'
!macroend

Section "Uninstall"
  Call un.CloseRunningVigia
  DeleteRegValue HKCU "${RUN_KEY}" "${RUN_VALUE}"
  Delete "$SMPROGRAMS\${SHORTCUT}"
  Delete "$DESKTOP\${SHORTCUT}"
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${GUI_EXE}"
  Delete "$INSTDIR\${CLI_EXE}"
  Delete "$INSTDIR\${UNINSTALLER}"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "${UNINST_KEY}"

  MessageBox MB_YESNO|MB_ICONQUESTION|MB_DEFBUTTON2 "$(AskRemoveData)" /SD IDNO IDYES remove_data
  Return
  remove_data:
  RMDir /r "${DATA_DIR}"
  !insertmacro DELETE_CREDENTIAL "vigia"
  !insertmacro DELETE_CREDENTIAL "admin_token@vigia"
  !insertmacro DELETE_CREDENTIAL "secret_key@vigia"
  !insertmacro DELETE_CREDENTIAL "admin_password@vigia"
  !insertmacro DELETE_CREDENTIAL "database_password@vigia"
SectionEnd
