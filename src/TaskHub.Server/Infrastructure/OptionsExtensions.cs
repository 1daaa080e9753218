using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace TaskHub.Server.Infrastructure;

public static class OptionsExtensions
{
    /// <summary>
    /// Registers options bound to <paramref name="section"/>, validated by their data annotations at start, and
    /// returns the same bound and validated values for decisions made while registering services (which provider
    /// to use). One read, one validation: a bad section fails here with a message naming each key, never used
    /// unvalidated.
    /// </summary>
    public static T AddTaskHubOptions<T>(this IHostApplicationBuilder builder, string section) where T : class, new()
    {
        builder.Services.AddOptions<T>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
        var value = builder.Configuration.GetSection(section).Get<T>() ?? new T();
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true))
            throw new OptionsValidationException(section, typeof(T),
                results.Select(r => $"{section}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        return value;
    }
}
