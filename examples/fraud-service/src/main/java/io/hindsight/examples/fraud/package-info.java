/** A card-fraud scoring service that logs every prediction with the Hindsight SDK. */
package io.hindsight.examples.fraud;
