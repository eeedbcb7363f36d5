package io.hindsight.examples.spring;

import io.hindsight.Hindsight;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * A Spring Boot model service instrumented with Hindsight: one {@link Hindsight} bean for the
 * endpoint, closed (and its queue flushed) when the application context closes.
 */
@SpringBootApplication
public class ScoringApplication {
  public static void main(String[] args) {
    SpringApplication.run(ScoringApplication.class, args);
  }

  @Bean(destroyMethod = "close")
  Hindsight hindsight(
      @Value("${hindsight.server-url:http://127.0.0.1:7070}") String serverUrl,
      @Value("${hindsight.endpoint:fraud-model}") String endpoint,
      @Value("${hindsight.api-key:}") String apiKey) {
    return Hindsight.builder()
        .endpoint(endpoint)
        .modelVersion(FraudModel.VERSION)
        .serverUrl(serverUrl)
        .apiKey(apiKey.isBlank() ? null : apiKey)
        .closeOnShutdown(false) // Spring closes the bean on shutdown
        .build();
  }
}
