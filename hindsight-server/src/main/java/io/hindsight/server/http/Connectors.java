package io.hindsight.server.http;

import io.hindsight.server.ServerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * The listening socket: plain HTTP, or HTTPS when a certificate is configured (PEM files or a
 * PKCS#12/JKS keystore), so a fleet can send over a network without a proxy in front.
 */
final class Connectors {
  private Connectors() {}

  static ServerConnector create(Server server, HttpConfiguration http, String host, int port, ServerConfig.Tls tls) {
    ServerConnector connector;
    if (tls == null || !tls.enabled()) {
      connector = new ServerConnector(server, new HttpConnectionFactory(http));
    } else {
      SslContextFactory.Server ssl = new SslContextFactory.Server();
      ssl.setKeyStore(keyStore(tls));
      ssl.setKeyStorePassword(password(tls));
      HttpConfiguration https = new HttpConfiguration(http);
      SecureRequestCustomizer src = new SecureRequestCustomizer();
      // Clients reach the server by IP as often as by name; do not refuse them over SNI.
      src.setSniHostCheck(false);
      https.addCustomizer(src);
      connector =
          new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(https));
    }
    connector.setHost(host);
    connector.setPort(port);
    return connector;
  }

  private static String password(ServerConfig.Tls tls) {
    return tls.keystore != null && tls.keystorePassword != null ? tls.keystorePassword : "hindsight";
  }

  static KeyStore keyStore(ServerConfig.Tls tls) {
    try {
      if (tls.keystore != null) {
        KeyStore ks = KeyStore.getInstance(tls.keystore.toString().endsWith(".jks") ? "JKS" : "PKCS12");
        try (InputStream in = Files.newInputStream(tls.keystore)) {
          ks.load(in, tls.keystorePassword == null ? null : tls.keystorePassword.toCharArray());
        }
        return ks;
      }
      Collection<? extends Certificate> chain;
      try (InputStream in = Files.newInputStream(tls.cert)) {
        chain = CertificateFactory.getInstance("X.509").generateCertificates(in);
      }
      if (chain.isEmpty()) {
        throw new IllegalArgumentException("tls.cert " + tls.cert + " holds no certificate");
      }
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("hindsight", privateKey(tls.key), "hindsight".toCharArray(), chain.toArray(new Certificate[0]));
      return ks;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot load the TLS certificate and key: " + e.getMessage(), e);
    }
  }

  private static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
    String pem = Files.readString(file, StandardCharsets.US_ASCII);
    if (pem.contains("BEGIN RSA PRIVATE KEY") || pem.contains("BEGIN EC PRIVATE KEY")) {
      throw new IllegalArgumentException(
          "tls.key " + file + " is in the traditional format; convert it to PKCS#8 with"
              + " 'openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-pkcs8.pem'");
    }
    int begin = pem.indexOf("-----BEGIN PRIVATE KEY-----");
    int end = pem.indexOf("-----END PRIVATE KEY-----");
    if (begin < 0 || end < 0) {
      throw new IllegalArgumentException("tls.key " + file + " has no unencrypted PKCS#8 '-----BEGIN PRIVATE KEY-----' block");
    }
    byte[] der = Base64.getMimeDecoder().decode(pem.substring(begin + 27, end));
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    for (String alg : new String[] {"RSA", "EC", "Ed25519"}) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(spec);
      } catch (GeneralSecurityException wrongAlgorithm) {
        // try the next one
      }
    }
    throw new IllegalArgumentException("tls.key " + file + " is not an RSA, EC or Ed25519 key");
  }
}
