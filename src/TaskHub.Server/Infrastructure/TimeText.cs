using System.Globalization;

namespace TaskHub.Server.Infrastructure;

/// <summary>Times as people read them in emails and digests.</summary>
public static class TimeText
{
    /// <summary>A time in the recipient's zone, e.g. "Mon 1 Dec 2026, 10:00 (Europe/Berlin)".</summary>
    public static string InZone(DateTime utc, TimeZoneInfo zone) =>
        $"{TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone).ToString("ddd d MMM yyyy, HH:mm", CultureInfo.InvariantCulture)} ({zone.Id})";
}
