#Requires -RunAsAdministrator
<#
.SYNOPSIS
    Installs the residents' portal as the Windows service "PortalGateway" (WinSW).

.DESCRIPTION
    Run in an elevated PowerShell after the steps in docs\ADMIN.md: Python and
    the portal installed in <PortalDir>\venv, <PortalDir>\config.ini edited,
    `gateway check` passing. The script
      1. runs `gateway check` (the same configuration the service will use),
      2. copies WinSW and portal-service.xml to <PortalDir>\service,
      3. gives the service account read access to <PortalDir>, write access to
         var\ and service\logs, and limits config.ini and the secret key file
         to Administrators, SYSTEM and the service account,
      4. installs and starts the service and waits for /healthz and /readyz.
    Safe to run again (for example after an upgrade): it reinstalls the service.

.PARAMETER PortalDir
    The portal's folder (default C:\Portal): venv\, config.ini, var\ live there.

.PARAMETER WinSW
    Path to WinSW-x64.exe (v2.12 or later), downloaded from the WinSW releases page.

.PARAMETER ServiceAccount
    NT AUTHORITY\LocalService (default), NT AUTHORITY\NetworkService (needed for
    Windows authentication to a SQL Server on another machine), or a group
    managed service account DOMAIN\name$.

.PARAMETER SkipCheck
    Do not run `gateway check` first (not recommended).

.EXAMPLE
    powershell -ExecutionPolicy Bypass -File C:\Portal\app\deploy\windows\install-service.ps1 -WinSW C:\Users\admin\Downloads\WinSW-x64.exe
#>
[CmdletBinding()]
param(
    [string]$PortalDir = 'C:\Portal',
    [Parameter(Mandatory = $true)][string]$WinSW,
    [string]$ServiceAccount = 'NT AUTHORITY\LocalService',
    [switch]$SkipCheck
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$ServiceId = 'PortalGateway'
$gateway = Join-Path $PortalDir 'venv\Scripts\gateway.exe'
$config = Join-Path $PortalDir 'config.ini'
$serviceDir = Join-Path $PortalDir 'service'
$wrapper = Join-Path $serviceDir "$ServiceId.exe"
$wrapperXml = Join-Path $serviceDir "$ServiceId.xml"
$varDir = Join-Path $PortalDir 'var'

foreach ($required in @($gateway, $config, $WinSW)) {
    if (-not (Test-Path -LiteralPath $required -PathType Leaf)) {
        throw "Not found: $required (see docs\ADMIN.md)"
    }
}

# Reads one key of one [section] of config.ini (UTF-8, with or without BOM).
function Get-IniValue([string]$Path, [string]$Section, [string]$Key, [string]$Default) {
    $current = ''
    foreach ($line in Get-Content -LiteralPath $Path -Encoding UTF8) {
        if ($line -match '^\s*\[(.+?)\]\s*$') { $current = $Matches[1].Trim(); continue }
        if ($current -eq $Section -and $line -match "^\s*$Key\s*=\s*(.*?)\s*$") {
            if ($Matches[1] -ne '') { return $Matches[1] }
        }
    }
    return $Default
}

# 1. The configuration must pass before the service is installed.
if (-not $SkipCheck) {
    Write-Host "Running: gateway check"
    & $gateway --config $config check
    if ($LASTEXITCODE -ne 0) {
        throw "gateway check failed (exit code $LASTEXITCODE): fix config.ini or the queries first"
    }
}

# 2. The wrapper and its configuration, with the chosen account.
$existing = Get-Service -Name $ServiceId -ErrorAction SilentlyContinue
if ($null -ne $existing) {
    Write-Host "Removing the existing $ServiceId service"
    if ($existing.Status -ne 'Stopped') { & $wrapper stop | Out-Null }
    & $wrapper uninstall | Out-Null
}
New-Item -ItemType Directory -Force -Path $serviceDir, (Join-Path $serviceDir 'logs'), $varDir | Out-Null
Copy-Item -LiteralPath $WinSW -Destination $wrapper -Force
[xml]$xml = Get-Content -LiteralPath (Join-Path $PSScriptRoot 'portal-service.xml') -Raw -Encoding UTF8
$parts = $ServiceAccount -split '\\', 2
if ($parts.Count -ne 2) { throw "ServiceAccount must be DOMAIN\name, e.g. 'NT AUTHORITY\LocalService'" }
$domain, $user = $parts
$xml.service.serviceaccount.domain = $domain
$xml.service.serviceaccount.user = $user
$xml.Save($wrapperXml)

# 3. Permissions: read everything, write only var\ and the wrapper's logs.
icacls $PortalDir /grant "${ServiceAccount}:(OI)(CI)RX" /T /C /Q | Out-Null
icacls $varDir /grant "${ServiceAccount}:(OI)(CI)M" /T /C /Q | Out-Null
icacls (Join-Path $serviceDir 'logs') /grant "${ServiceAccount}:(OI)(CI)M" /T /C /Q | Out-Null
$private = @($config)
$keyFile = Get-IniValue $config 'portal' 'secret_key_file' ''
if ($keyFile -ne '') {
    if (-not [System.IO.Path]::IsPathRooted($keyFile)) { $keyFile = Join-Path $PortalDir $keyFile }
    $private += $keyFile
}
foreach ($file in $private) {
    if (Test-Path -LiteralPath $file) {
        icacls $file /inheritance:r /grant:r 'BUILTIN\Administrators:F' 'NT AUTHORITY\SYSTEM:F' "${ServiceAccount}:R" /Q | Out-Null
    }
}

# 4. Install, start, wait until it answers.
& $wrapper install
if ($LASTEXITCODE -ne 0) { throw "WinSW install failed (exit code $LASTEXITCODE)" }
& $wrapper start
if ($LASTEXITCODE -ne 0) { throw "WinSW start failed (exit code $LASTEXITCODE)" }

$hostName = Get-IniValue $config 'server' 'host' '127.0.0.1'
if ($hostName -in @('0.0.0.0', '::', '')) { $hostName = '127.0.0.1' }
$port = Get-IniValue $config 'server' 'port' '8080'
$base = "http://${hostName}:$port"
$deadline = (Get-Date).AddSeconds(60)
$healthy = $false
while ((Get-Date) -lt $deadline) {
    try {
        $answer = Invoke-WebRequest -UseBasicParsing -Uri "$base/healthz" -TimeoutSec 5
        if ($answer.StatusCode -eq 200) { $healthy = $true; break }
    } catch {
        Start-Sleep -Seconds 2
    }
}
if (-not $healthy) {
    throw "The service does not answer on $base/healthz: see $serviceDir\logs\$ServiceId.err.log and $varDir\log\portal.log"
}
try {
    Invoke-WebRequest -UseBasicParsing -Uri "$base/readyz" -TimeoutSec 10 | Out-Null
    Write-Host "Ready: $base/readyz answers 200"
} catch {
    Write-Warning "$base/readyz is not 200: the billing database or the store does not answer (see $varDir\log\portal.log)"
}
Write-Host "Service $ServiceId installed and running on $base"
