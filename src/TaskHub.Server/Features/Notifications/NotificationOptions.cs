using System.ComponentModel.DataAnnotations;

namespace TaskHub.Server.Features.Notifications;

/// <summary>Settings under <c>Outbox</c>: how the dispatcher claims, retries and gives up.</summary>
public sealed class OutboxOptions
{
    public const string Section = "Outbox";

    /// <summary>The longest an idle dispatcher waits before it looks again: rows committed on its replica wake it at once,
    /// and it waits for its earliest retry until its time (as of its last look); this finds the rest: rows a replica that
    /// stopped left before handing them on, claims that ran out, retries another replica set since.</summary>
    [Range(0.05, 60)] public double PollIntervalSeconds { get; set; } = 5;
    [Range(1, 500)] public int BatchSize { get; set; } = 50;
    /// <summary>How long a claim lasts: a replica that dies mid-delivery loses its claim after this.</summary>
    [Range(1, 3600)] public double LeaseSeconds { get; set; } = 60;
    /// <summary>Attempts before a message is dead-lettered. With the defaults, retries span about 50 minutes.</summary>
    [Range(1, 100)] public int MaxAttempts { get; set; } = 15;
    [Range(0.01, 3600)] public double FirstRetrySeconds { get; set; } = 2;
    [Range(0.01, 86_400)] public double MaxRetrySeconds { get; set; } = 300;
    /// <summary>Where a dead-lettered message is reported (an HTTP POST of JSON); none when empty.</summary>
    public string? AlertWebhookUrl { get; set; }
}

/// <summary>Settings under <c>Email</c>. SMTP is used when <c>Smtp:Host</c> is set, else .eml files in a pickup folder.</summary>
public sealed class EmailOptions
{
    public const string Section = "Email";

    [Required] public string From { get; set; } = "TaskHub <notifications@taskhub.local>";
    /// <summary>Where .eml files go when there is no SMTP server (relative to the content root).</summary>
    [Required] public string PickupDirectory { get; set; } = "data/mail";
    /// <summary>The address people open TaskHub at, for links in emails.</summary>
    [Required, Url] public string PublicBaseUrl { get; set; } = "http://localhost:5080";
    /// <summary><c>smtp</c>/<c>pickup</c> (chosen by whether Smtp:Host is set), or <c>eventbridge</c>: publish EmailRequested events only.</summary>
    public string? Transport { get; set; }
    /// <summary>
    /// Changes by one person on one board reach each recipient as one email once this long has passed without a
    /// further change (the window restarts with each change), listing the net change per field; 0 sends every
    /// change at once.
    /// </summary>
    [Range(0, 3600)] public double CoalesceWindowSeconds { get; set; } = 120;
    /// <summary>A burst that keeps going is still sent this long after its first change.</summary>
    [Range(1, 86_400)] public double CoalesceMaxSeconds { get; set; } = 600;
}

/// <summary>Settings under <c>Smtp</c>.</summary>
public sealed class SmtpOptions
{
    public const string Section = "Smtp";

    public string? Host { get; set; }
    [Range(1, 65535)] public int Port { get; set; } = 587;
    public string? UserName { get; set; }
    public string? Password { get; set; }
    /// <summary>Require STARTTLS/TLS (SES, real mail servers); off for a local sink such as maildev.</summary>
    public bool UseTls { get; set; } = true;
}
