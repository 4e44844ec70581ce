# kakaocloud_image_member Terraform Resource Example

# Basic Usage (kakaocloud_image_member)
resource "kakaocloud_image_member" "example" {
  id                = kakaocloud_image.example.id
  shared_member_ids = [var.project1_id, var.project2_id]
}
