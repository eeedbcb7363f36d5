package io.hindsight.server.alert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;

/**
 * Where a rule's state changes go (DESIGN §11): a {@code webhook} posting Alertmanager's webhook
 * payload (version 4) or a Slack message, or an {@code alertmanager} that receives the alerts on its
 * {@code /api/v2/alerts} as Prometheus pushes them.
 *
 * @param format how a webhook's body looks; null for {@code alertmanager}
 */
public record Notifier(String name, Type type, URI url, Format format) {

  /** What sits at the notifier's URL. */
  public enum Type {
    /** Any HTTP receiver: one POST per state change. */
    WEBHOOK,
    /** A Prometheus Alertmanager: its base URL, {@code /api/v2/alerts} is added. */
    ALERTMANAGER
  }

  /** The body a webhook posts. */
  public enum Format {
    /** Alertmanager's webhook payload, version 4. */
    ALERTMANAGER,
    /** A Slack incoming webhook's {@code {"text": ...}}. */
    SLACK
  }

  private static final Set<String> FIELDS = Set.of("type", "url", "format");

  /**
   * Reads a notifier as written in {@code PUT /v1/alerts/notifiers/{name}}: {@code {"type":
   * "webhook", "url": "...", "format": "alertmanager" | "slack"}} (format defaults to alertmanager)
   * or {@code {"type": "alertmanager", "url": "http://alertmanager:9093"}}.
   *
   * @throws IllegalArgumentException naming the field that is wrong and what it must be
   */
  public static Notifier fromJson(String name, JsonNode json) {
    AlertRule.checkName("notifier", name);
    String what = "notifier '" + name + "'";
    JsonFields f = new JsonFields(what, json, FIELDS);
    String type = f.requiredText("type");
    URI url = httpUrl(what, f.requiredText("url"));
    String format = f.optionalText("format", null);
    switch (type) {
      case "webhook" -> {
        if (format == null || format.equals("alertmanager")) {
          return new Notifier(name, Type.WEBHOOK, url, Format.ALERTMANAGER);
        }
        if (format.equals("slack")) {
          return new Notifier(name, Type.WEBHOOK, url, Format.SLACK);
        }
        throw new IllegalArgumentException(
            what + ": format must be 'alertmanager' or 'slack', got '" + format + "'");
      }
      case "alertmanager" -> {
        if (format != null) {
          throw new IllegalArgumentException(
              what + ": format is for webhooks; an alertmanager notifier takes only type and url");
        }
        return new Notifier(name, Type.ALERTMANAGER, url, null);
      }
      default ->
          throw new IllegalArgumentException(
              what + ": type must be 'webhook' or 'alertmanager', got '" + type + "'");
    }
  }

  private static URI httpUrl(String what, String text) {
    URI url;
    try {
      url = new URI(text);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(what + ": url is not a URL: " + e.getMessage());
    }
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
      throw new IllegalArgumentException(
          what + ": url must be an http:// or https:// URL with a host, got '" + text + "'");
    }
    return url;
  }

  /** Where the notifier posts: the webhook's URL, or the Alertmanager's {@code /api/v2/alerts}. */
  URI target() {
    if (type == Type.WEBHOOK) {
      return url;
    }
    String base = url.toString();
    return URI.create((base.endsWith("/") ? base : base + "/") + "api/v2/alerts");
  }

  /** The notifier in the shape {@link #fromJson} reads. */
  public ObjectNode toJson() {
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("type", type.name().toLowerCase(Locale.ROOT));
    json.put("url", url.toString());
    if (format != null) {
      json.put("format", format.name().toLowerCase(Locale.ROOT));
    }
    return json;
  }
}
