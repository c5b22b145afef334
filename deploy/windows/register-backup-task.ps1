#Requires -RunAsAdministrator
<#
.SYNOPSIS
    Schedules backup-store.ps1 every day (Task Scheduler, as SYSTEM).

.EXAMPLE
    powershell -ExecutionPolicy Bypass -File C:\Portal\app\deploy\windows\register-backup-task.ps1 -At 02:30
#>
[CmdletBinding()]
param(
    [string]$PortalDir = 'C:\Portal',
    [string]$BackupDir = '',
    [string]$At = '02:30',
    [int]$KeepDays = 30
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

if ($BackupDir -eq '') { $BackupDir = Join-Path $PortalDir 'backup' }
New-Item -ItemType Directory -Force -Path $BackupDir | Out-Null
# Backups hold password hashes: administrators and SYSTEM only.
icacls $BackupDir /inheritance:r /grant:r 'BUILTIN\Administrators:(OI)(CI)F' 'NT AUTHORITY\SYSTEM:(OI)(CI)F' /Q | Out-Null

$script = Join-Path $PSScriptRoot 'backup-store.ps1'
$arguments = "-NoProfile -NonInteractive -ExecutionPolicy Bypass -File `"$script`" " +
    "-PortalDir `"$PortalDir`" -BackupDir `"$BackupDir`" -KeepDays $KeepDays"
$action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument $arguments
$trigger = New-ScheduledTaskTrigger -Daily -At $At
$principal = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest
Register-ScheduledTask -TaskName 'PortalGateway store backup' -Action $action -Trigger $trigger `
    -Principal $principal -Description 'Daily backup of the residents portal accounts store' -Force | Out-Null
Write-Host "Scheduled daily at ${At}: backup of the accounts store to $BackupDir (kept $KeepDays days)"
Write-Host "Run it now once: Start-ScheduledTask -TaskName 'PortalGateway store backup'"
