namespace TaskHub.Server.Infrastructure;

/// <summary>Collects field errors (camelCase field names) for a validation problem response.</summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public FieldErrors Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(message);
        return this;
    }

    public FieldErrors Check(bool ok, string field, string message) => ok ? this : Add(field, message);

    public IDictionary<string, string[]> ToDictionary() => _errors.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());

    public static Microsoft.AspNetCore.Http.HttpResults.ValidationProblem Single(string field, string message) =>
        new FieldErrors().Add(field, message).ToProblem();

    public Microsoft.AspNetCore.Http.HttpResults.ValidationProblem ToProblem() =>
        TypedResults.ValidationProblem(ToDictionary(), title: "One or more fields are invalid.");
}

/// <summary>Problem responses that are not validation errors, with a consistent title and detail.</summary>
public static class Problems
{
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");

    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict");

    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult NotFound(string what) =>
        TypedResults.Problem($"{what} was not found.", statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Unauthorized(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized");
}

/// <summary>
/// What a request works on was deleted after its checks, while it ran (a board deleted between a write's membership
/// read and its seq statement): answered as if it had been missing from the start, 404 (<see cref="ProblemDetailsExceptionHandler"/>).
/// </summary>
public sealed class GoneMeanwhileException(string what) : Exception($"{what} was deleted while the request ran.")
{
    public string What => what;
}
