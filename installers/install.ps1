# Roost agent installer for Windows (PowerShell 5.1 or 7):
#   & ([scriptblock]::Create((irm http://CONTROL_PLANE/install.ps1))) -Token T -Labels k=v,...
# Everything comes from the control plane that served this script: the agent bundle (checked against
# its SHA-256) and, when this host has no Node.js >= 20, a Node runtime (node-win-{x64|arm64}.exe, which
# an operator places in the control plane's runtimes directory). The agent runs as a scheduled task
# (at startup as SYSTEM when elevated, at logon as the user otherwise): a Windows service would need a
# service-aware host around node.exe, which the control plane does not ship.
param(
  # ROOST_TOKEN, its older name, counts only when it holds a registration token (the CLI's API token is not one)
  [string]$Token = $(if ($env:ROOST_REGISTRATION_TOKEN) { $env:ROOST_REGISTRATION_TOKEN } elseif ($env:ROOST_TOKEN -like 'rrt.*') { $env:ROOST_TOKEN } else { '' }),
  [string]$Labels = $env:ROOST_AGENT_LABELS,
  [string]$Name = $env:ROOST_AGENT_NAME,
  [string]$Prefix = $env:ROOST_PREFIX,
  [string]$Url = $env:ROOST_URL,
  [switch]$NoService = ($env:ROOST_NO_SERVICE -eq '1'),
  [switch]$NoStart = ($env:ROOST_NO_START -eq '1'),
  [switch]$AutoUpgrade = ($env:ROOST_AUTO_UPGRADE -eq '1'),
  [switch]$Uninstall = ($env:ROOST_UNINSTALL -eq '1'),
  [switch]$Help
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue' # Invoke-WebRequest is many times slower with its progress bar
$TaskName = 'RoostAgent'

function Say([string]$Message) { [Console]::Error.WriteLine("roost-install: $Message") }
function Die([string]$Message) {
  Say "error: $Message"
  exit 1
}

if ($Help) {
  @'
usage: install.ps1 -Token T [-Labels k=v,...] [-Name NAME] [-Prefix DIR] [-Url URL]
                   [-NoService] [-NoStart] [-AutoUpgrade] [-Uninstall]
  -Token        registration token (roost agent token create)            ROOST_REGISTRATION_TOKEN
  -Labels       labels to claim, within what the token allows             ROOST_AGENT_LABELS
  -Name         display name of the agent (default: host name)            ROOST_AGENT_NAME
  -Prefix       install here (default %ProgramFiles%\RoostAgent elevated, else %LOCALAPPDATA%\RoostAgent)  ROOST_PREFIX
  -Url          the control plane (default: where this script came from)  ROOST_URL
  -NoService    run the agent in the foreground instead of as a scheduled task  ROOST_NO_SERVICE=1
  -NoStart      install and register, run nothing                         ROOST_NO_START=1
  -AutoUpgrade  switch to the control plane's newer bundles by itself, when idle  ROOST_AUTO_UPGRADE=1
  -Uninstall    stop and remove the agent (its registration is dropped locally)  ROOST_UNINSTALL=1
Re-running upgrades in place and keeps the registration.
'@ | Write-Output
  exit 0
}

if (-not $Url) { $Url = '@@ROOST_URL@@' }
if ($Url -notmatch '^https?://') { Die "the control plane URL '$Url' must start with http:// or https:// (-Url)" }
$Url = $Url.TrimEnd('/')

# ---- platform ----
if ($env:OS -ne 'Windows_NT') { Die 'install.ps1 is for Windows: on Linux and macOS use install.sh' }
switch ($env:PROCESSOR_ARCHITECTURE) {
  'AMD64' { $Arch = 'x64' }
  'ARM64' { $Arch = 'arm64' }
  default { Die "unsupported architecture $($env:PROCESSOR_ARCHITECTURE): x64 and arm64 are supported" }
}
$Elevated = ([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()).IsInRole(
  [Security.Principal.WindowsBuiltInRole]::Administrator)
if (-not $Prefix) {
  if ($Elevated) { $Prefix = Join-Path $env:ProgramFiles 'RoostAgent' } else { $Prefix = Join-Path $env:LOCALAPPDATA 'RoostAgent' }
}
$Data = Join-Path $Prefix 'data'
$App = Join-Path $Prefix 'app'
$Previous = Join-Path $Prefix 'app.previous'
$Wrapper = Join-Path $Prefix 'bin\roost-agent.cmd'

if ($Uninstall) {
  if (Get-ScheduledTask -TaskName $TaskName -ErrorAction SilentlyContinue) {
    Stop-ScheduledTask -TaskName $TaskName -ErrorAction SilentlyContinue
    Unregister-ScheduledTask -TaskName $TaskName -Confirm:$false
    Say "removed the scheduled task $TaskName"
  }
  if (Test-Path $Prefix) {
    Remove-Item -Recurse -Force $Prefix
    Say "removed $Prefix"
  }
  Say 'uninstalled (revoke the agent on the control plane too: roost agent revoke ID)'
  exit 0
}

# ---- downloads ----
function Fetch([string]$Path, [string]$OutFile) {
  try {
    Invoke-WebRequest -UseBasicParsing -Uri "$Url$Path" -OutFile $OutFile
  } catch {
    Die "download of $Url$Path failed: $($_.Exception.Message)"
  }
}

# Downloads $Path to $OutFile and checks it against the SHA-256 the control plane publishes at $Path.sha256.
function FetchVerified([string]$Path, [string]$OutFile) {
  Fetch "$Path.sha256" "$OutFile.sha256"
  $expected = ((Get-Content -Raw "$OutFile.sha256").Trim() -split '\s+')[0].ToLowerInvariant()
  Fetch $Path $OutFile
  $actual = (Get-FileHash -Algorithm SHA256 $OutFile).Hash.ToLowerInvariant()
  if ($expected -ne $actual) { Die "$Path is corrupt: SHA-256 $actual, the control plane says $expected" }
  Remove-Item -Force "$OutFile.sha256"
}

New-Item -ItemType Directory -Force -Path $Prefix | Out-Null
$Work = Join-Path $Prefix ('.install.' + [Guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory -Force -Path $Work | Out-Null
try {
  # ---- Node.js ----
  function NodeMajor([string]$Node) {
    try { [int](& $Node -p 'process.versions.node.split(".")[0]' 2>$null) } catch { 0 }
  }
  $Node = $null
  $OwnRuntime = Join-Path $Prefix 'runtime\node.exe'
  $OnPath = Get-Command node -ErrorAction SilentlyContinue
  if ($OnPath -and (NodeMajor $OnPath.Source) -ge 20) {
    $Node = $OnPath.Source
    Say "using Node.js $(& $Node --version) at $Node"
  } elseif ((Test-Path $OwnRuntime) -and (NodeMajor $OwnRuntime) -ge 20) {
    $Node = $OwnRuntime
    Say "using the Node.js runtime installed before ($(& $Node --version))"
  } else {
    Say "no Node.js >= 20 here: taking node-win-$Arch.exe from the control plane"
    FetchVerified "/install/runtimes/node-win-$Arch.exe" (Join-Path $Work 'node.exe')
    New-Item -ItemType Directory -Force -Path (Join-Path $Prefix 'runtime') | Out-Null
    Move-Item -Force (Join-Path $Work 'node.exe') $OwnRuntime
    $Node = $OwnRuntime
    Say "installed Node.js $(& $Node --version) in $Prefix\runtime"
  }

  # ---- the agent bundle (upgrade in place; the previous version is kept for rollback) ----
  $Tarball = Join-Path $Work 'agent.tar.gz'
  FetchVerified '/install/agent.tar.gz' $Tarball
  $Unpacked = Join-Path $Work 'app'
  New-Item -ItemType Directory -Force -Path $Unpacked | Out-Null
  # tar.exe ships with Windows 10 1803 and later
  & tar.exe -xzf $Tarball -C $Unpacked
  if ($LASTEXITCODE -ne 0) { Die 'could not unpack the agent bundle (tar.exe)' }
  if (-not (Test-Path (Join-Path $Unpacked 'roost-agent.mjs'))) { Die 'the agent bundle holds no roost-agent.mjs' }
  if (Test-Path $App) {
    if (Test-Path $Previous) { Remove-Item -Recurse -Force $Previous }
    Move-Item $App $Previous
  }
  Move-Item $Unpacked $App
  $Version = if (Test-Path (Join-Path $App 'VERSION')) { (Get-Content -Raw (Join-Path $App 'VERSION')).Trim() } else { '?' }
  Say "agent $Version installed in $App"
} finally {
  Remove-Item -Recurse -Force $Work -ErrorAction SilentlyContinue
}

# bin\roost-agent.cmd: `start` runs again when the agent exits with 75 (it switched to a new bundle)
New-Item -ItemType Directory -Force -Path (Join-Path $Prefix 'bin') | Out-Null
$AppScript = Join-Path $App 'roost-agent.mjs'
@"
@echo off
rem written by install.ps1: runs the Roost agent installed here. ``start`` runs it again when it exits
rem with 75: it has switched to a new bundle in app\ (roost agent start --auto-upgrade).
if /I "%~1"=="start" goto start
"$Node" "$AppScript" %*
exit /b
:start
"$Node" --max-semi-space-size=1 "$AppScript" %*
if errorlevel 75 if not errorlevel 76 goto start
exit /b
"@ | Set-Content -Encoding ASCII -Path $Wrapper

# ---- registration (kept when re-running) ----
$Config = Join-Path $Data 'agent.json'
if ((Test-Path $Config) -and (Select-String -Quiet -Pattern '"credential"' -Path $Config)) {
  Say "already registered: keeping the registration in $Config"
} else {
  if (-not $Token) { Die '-Token is required to register this agent (roost agent token create)' }
  $Register = @('register', '--url', $Url, '--token', $Token, '--data-dir', $Data)
  if ($Labels) { $Register += @('--labels', $Labels) }
  if ($Name) { $Register += @('--name', $Name) }
  & $Wrapper @Register
  if ($LASTEXITCODE -ne 0) { Die 'registration failed' }
}

$StartArgs = @('start', '--data-dir', $Data)
if ($AutoUpgrade) { $StartArgs += '--auto-upgrade' }

if ($NoService) {
  if ($NoStart) {
    Say "installed; start it with: `"$Wrapper`" $($StartArgs -join ' ')"
    exit 0
  }
  Say 'running the agent in the foreground (Ctrl-C stops it)'
  & $Wrapper @StartArgs
  exit $LASTEXITCODE
}

# ---- the scheduled task ----
$Log = Join-Path $Prefix 'agent.log'
$Action = New-ScheduledTaskAction -Execute 'cmd.exe' -WorkingDirectory $Prefix `
  -Argument "/d /c `"`"$Wrapper`" $($StartArgs -join ' ') >> `"$Log`" 2>&1`""
$Settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit ([TimeSpan]::Zero) -RestartCount 999 `
  -RestartInterval (New-TimeSpan -Minutes 1) -StartWhenAvailable -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries
if ($Elevated) {
  $Trigger = New-ScheduledTaskTrigger -AtStartup
  $Principal = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest
} else {
  $User = [Security.Principal.WindowsIdentity]::GetCurrent().Name
  $Trigger = New-ScheduledTaskTrigger -AtLogOn -User $User
  $Principal = New-ScheduledTaskPrincipal -UserId $User -LogonType Interactive -RunLevel Limited
}
if (Get-ScheduledTask -TaskName $TaskName -ErrorAction SilentlyContinue) {
  Stop-ScheduledTask -TaskName $TaskName -ErrorAction SilentlyContinue
  Unregister-ScheduledTask -TaskName $TaskName -Confirm:$false
}
Register-ScheduledTask -TaskName $TaskName -Description "Roost agent ($Url)" -Action $Action -Trigger $Trigger `
  -Principal $Principal -Settings $Settings | Out-Null
if ($NoStart) {
  Say "installed the scheduled task $TaskName; start it with: Start-ScheduledTask -TaskName $TaskName"
  exit 0
}
Start-ScheduledTask -TaskName $TaskName
Say "the agent runs as the scheduled task $TaskName; log in $Log"
