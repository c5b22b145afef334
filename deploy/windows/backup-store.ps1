<#
.SYNOPSIS
    Backs up the portal's accounts store to a dated file and deletes old ones.

.DESCRIPTION
    Runs `gateway accounts backup`, which copies a consistent snapshot while the
    portal keeps serving. The copy holds password hashes and sessions: keep the
    backup folder readable by administrators only, and copy it off this machine
    with the rest of the server's backup. Exits non-zero on failure, so the Task
    Scheduler history shows it. register-backup-task.ps1 schedules it daily.

.EXAMPLE
    powershell -ExecutionPolicy Bypass -File C:\Portal\app\deploy\windows\backup-store.ps1 -KeepDays 60
#>
[CmdletBinding()]
param(
    [string]$PortalDir = 'C:\Portal',
    [string]$BackupDir = '',
    [int]$KeepDays = 30
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

if ($BackupDir -eq '') { $BackupDir = Join-Path $PortalDir 'backup' }
$gateway = Join-Path $PortalDir 'venv\Scripts\gateway.exe'
$config = Join-Path $PortalDir 'config.ini'
New-Item -ItemType Directory -Force -Path $BackupDir | Out-Null

$stamp = Get-Date -Format 'yyyy-MM-dd_HHmm'
$target = Join-Path $BackupDir "portal-store_$stamp.sqlite3"
& $gateway --config $config accounts backup $target
if ($LASTEXITCODE -ne 0) {
    Write-Error "gateway accounts backup failed (exit code $LASTEXITCODE)"
    exit 1
}

if ($KeepDays -gt 0) {
    $limit = (Get-Date).AddDays(-$KeepDays)
    Get-ChildItem -LiteralPath $BackupDir -Filter 'portal-store_*.sqlite3' |
        Where-Object { $_.LastWriteTime -lt $limit } |
        Remove-Item -Force
}
exit 0
