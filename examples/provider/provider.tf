terraform {
  required_providers {
    kakaocloud = {
      source = "kakaocloud-community/kakaocloud"
    }
  }
}

# Credentials may also come from KAKAOCLOUD_APPLICATION_CREDENTIAL_ID and
# KAKAOCLOUD_APPLICATION_CREDENTIAL_SECRET.
provider "kakaocloud" {
  application_credential_id     = var.application_credential_id
  application_credential_secret = var.application_credential_secret
  region                        = "kr-central-2"
}
