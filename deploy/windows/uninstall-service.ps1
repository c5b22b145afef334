#Requires -RunAsAdministrator
<#
.SYNOPSIS
    Stops and removes the "PortalGateway" service. Keeps config.ini, var\ (the
    accounts store and the logs) and the backups.

.EXAMPLE
    powershell -ExecutionPolicy Bypass -File C:\Portal\app\deploy\windows\uninstall-service.ps1
#>
[CmdletBinding()]
param(
    [string]$PortalDir = 'C:\Portal'
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$ServiceId = 'PortalGateway'
$wrapper = Join-Path $PortalDir "service\$ServiceId.exe"
if (-not (Test-Path -LiteralPath $wrapper -PathType Leaf)) {
    throw "Not found: $wrapper (is the service installed from another folder?)"
}
$service = Get-Service -Name $ServiceId -ErrorAction SilentlyContinue
if ($null -eq $service) {
    Write-Host "No $ServiceId service is installed"
    exit 0
}
if ($service.Status -ne 'Stopped') {
    & $wrapper stop
    if ($LASTEXITCODE -ne 0) { throw "WinSW stop failed (exit code $LASTEXITCODE)" }
}
& $wrapper uninstall
if ($LASTEXITCODE -ne 0) { throw "WinSW uninstall failed (exit code $LASTEXITCODE)" }
Write-Host "Service $ServiceId removed; $PortalDir\var and config.ini are kept"
