terraform {
  required_providers {
    kakaocloud = {
      source = "kakaocloud-community/kakaocloud"
    }
  }
}

# Settings come from the environment: KAKAOCLOUD_ENDPOINT points every service at the emulator,
# KAKAOCLOUD_APPLICATION_CREDENTIAL_ID and KAKAOCLOUD_APPLICATION_CREDENTIAL_SECRET authenticate.
provider "kakaocloud" {}

variable "image_id" {
  description = "Image to share: the default emulator fixture's active private image."
  type        = string
  default     = "088b4056-65b3-4ef4-a478-2f4ae9abb98c"
}

variable "project1_id" {
  description = "First project to share the image with: the default fixture's DefaultProjectIDs()[0]."
  type        = string
  default     = "0023a4d530d7328fc23e4bdfe637574e"
}

variable "project2_id" {
  description = "Second project to share the image with: the default fixture's DefaultProjectIDs()[1]."
  type        = string
  default     = "00bd2b3c4e45a26e485b5748841e7527"
}

# kakaocloud_image_member Terraform Resource Example

# Basic Usage (kakaocloud_image_member)
resource "kakaocloud_image_member" "example" {
  # This provider has no kakaocloud_image resource, so the image ID comes from a variable.
  id                = var.image_id
  shared_member_ids = [var.project1_id, var.project2_id]
}

output "image_id" {
  value = kakaocloud_image_member.example.id
}

output "shared_member_ids" {
  value = kakaocloud_image_member.example.shared_member_ids
}

output "members" {
  description = "Every project the image is shared with, as the API reports it."
  value       = kakaocloud_image_member.example.members
}
