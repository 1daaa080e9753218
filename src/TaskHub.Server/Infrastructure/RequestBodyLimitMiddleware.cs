using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace TaskHub.Server.Infrastructure;

/// <summary>
/// Caps request bodies for the API (Kestrel's own limit is 30 MB). A declared Content-Length over the
/// cap is refused with 413 before anything is read; a chunked body is capped by the server feature
/// where the host has one (Kestrel), which then raises a 413 that the exception handler renders.
/// </summary>
public sealed class RequestBodyLimitMiddleware(RequestDelegate next, IOptions<ApiOptions> options)
{
    public async Task InvokeAsync(HttpContext http)
    {
        // An endpoint may allow more (uploads: RequestSizeLimitAttribute metadata); everything else gets the API's cap.
        var limit = http.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IRequestSizeLimitMetadata>()?.MaxRequestBodySize
                    ?? options.Value.MaxRequestBodyBytes;
        if (http.Request.ContentLength > limit)
        {
            http.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await TypedResults.Problem($"The request body exceeds the limit of {limit} bytes.",
                statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request body too large").ExecuteAsync(http);
            return;
        }
        var feature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false }) feature.MaxRequestBodySize = limit;
        await next(http);
    }
}
