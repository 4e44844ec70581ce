# Read the projects an image is shared with, without managing them.
data "kakaocloud_image_member" "example" {
  id = var.image_id
}

output "shared_with" {
  value = [for m in data.kakaocloud_image_member.example.members : m.id if m.is_shared]
}
