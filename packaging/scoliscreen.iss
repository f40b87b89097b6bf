; Inno Setup script: Windows installer for the PyInstaller bundle (docs/packaging.md, "Windows").
; NOT BUILT OR TESTED YET (only the Linux CPU bundle has been). Build the bundle on Windows first:
;   .venv\Scripts\python -m PyInstaller --noconfirm --distpath dist --workpath build\pyinstaller packaging\scoliscreen.spec
; then:  iscc packaging\scoliscreen.iss   ->  dist\ScoliScreen-<version>-setup.exe
; Per-user install (no admin rights); records stay in %LOCALAPPDATA%\ScoliScreen (platformdirs),
; outside {app}, so an upgrade or uninstall never deletes them.

#define AppName "ScoliScreen"
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6F1C7E52-3A0B-4B7C-9B1E-5C0D2A9F4E11}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=ScoliScreen project
AppComments=Gait-video scoliosis screening. Research use only - not a diagnostic device.
DefaultDirName={localappdata}\Programs\{#AppName}
DefaultGroupName={#AppName}
PrivilegesRequired=lowest
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\dist
OutputBaseFilename={#AppName}-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
DisableProgramGroupPage=yes
UninstallDisplayIcon={app}\scoliscreen.exe
; the old version's files are replaced as a whole; nothing under {app} is user data
UsePreviousAppDir=yes

[Files]
Source: "..\dist\scoliscreen\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; an upgrade must not keep stale libraries of the previous bundle
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\scoliscreen.exe"; Parameters: "gui"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\scoliscreen.exe"; Parameters: "gui"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked

[Run]
Filename: "{app}\scoliscreen.exe"; Parameters: "self-test"; Description: "Run the self-test now"; Flags: postinstall nowait skipifsilent unchecked
